"""config_keys.py -- the configuration keys as three sources name them, for
test_man.py: examples/levee.yaml (every key, commented or not), the
levee.yaml(5) page (docs/man/levee.yaml.5.scd) and the key tables of
server/config.c.  Each returns a set of "section.key" strings."""

import re

# config.c's key tables and the section each one reads.
TABLES = {
    "config_server_keys": "server",
    "config_rrl_keys": "rate-limit",
    "config_cookie_keys": "cookies",
    "config_limits_keys": "limits",
    "config_attack_keys": "attack",
    "config_acl_keys": "acl",
    "config_remote_keys": "remote",
    "config_control_keys": "control",
    "config_metrics_keys": "metrics",
    "config_dnstap_keys": "dnstap",
    "config_database_keys": "database",
    "config_xdp_keys": "xdp",
}

KEY_LINE = re.compile(r"^(\s*)(?:- )?([a-z][a-z0-9-]*):(?:\s|$)")


def example_keys(path):
    """Keys of a levee.yaml, counting commented-out ones ("# key: ...",
    "  #   key: ..."): a comment whose text after "# " has the shape of a YAML
    key line counts, its indent being the "#"'s plus the text's own.  At
    indent 0, a name with nothing after its colon (or only a comment) is a
    section; deeper names are its keys (a list section's entries too).
    Prose comments start with a capital, or have no "key:" shape, or sit at
    indent 0 with text after the colon."""
    keys, section = set(), None
    for raw in open(path):
        line = raw.rstrip("\n")
        hash_at = len(line) - len(line.lstrip())
        if line.lstrip().startswith("#"):
            body = line.lstrip()[1:]
            if body.startswith(" "):
                body = body[1:]
        else:
            body, hash_at = line.lstrip(), hash_at
        m = KEY_LINE.match(body)
        if not m:
            continue
        indent, name = hash_at + len(m.group(1)), m.group(2)
        rest = body[m.end():].strip()
        if indent == 0 and not body.lstrip().startswith("- "):
            if rest == "" or rest.startswith("#"):
                section = name
            continue
        if section:
            keys.add("%s.%s" % (section, name))
    return keys


def man_keys(path):
    """Keys of levee.yaml.5.scd: under "## SECTION:" headings, each key's
    entry starts with "*key*"."""
    keys, section = set(), None
    for line in open(path):
        m = re.match(r"^## ([a-z-]+):", line)
        if m:
            section = m.group(1)
            continue
        if line.startswith("# "):
            section = None
            continue
        m = re.match(r"^\*([a-z][a-z0-9-]*)\*", line)
        if m and section:
            keys.add("%s.%s" % (section, m.group(1)))
    return keys


def source_keys(path):
    """The keys server/config.c accepts: its key tables, the key: entry's
    names[] and the zones: entry's strcmp(name, ...)."""
    text = open(path).read()
    keys = set()
    tables = dict(TABLES)
    # A table added later (config_metrics_keys...) reads the section its
    # name says.
    for t in re.findall(r"config_key (config_(\w+)_keys)\[\] = \{", text):
        tables.setdefault(t[0], t[1].replace("_", "-"))
    for table, section in tables.items():
        m = re.search(r"config_key %s\[\] = \{(.*?)\n\};" % table, text, re.S)
        assert m, "server/config.c: no table %s" % table
        for k in re.findall(r'\{ "([a-z0-9-]+)"', m.group(1)):
            keys.add("%s.%s" % (section, k))
    m = re.search(r'names\[\] = \{ "id", "algorithm", "secret" \}', text)
    assert m, "server/config.c: the key: entry's names[] changed"
    keys |= {"key.id", "key.algorithm", "key.secret"}
    names = set(re.findall(r'strcmp\(name, "([a-z-]+)"\)', text))
    for n in ("domain", "file", "serial-policy", "notify", "primaries", "acl",
              "dnssec-validation", "zonefile-sync", "catalog-role",
              "catalog-template"):
        assert n in names, "server/config.c: zones: key %s not found" % n
        keys.add("zones.%s" % n)
    # template: entries take a zone's keys but domain, serial-policy and
    # the catalog ones, and have an id (zone_keys(), tmpl true)
    assert 'strcmp(name, "id")' in text, "server/config.c: template: id"
    for n in ("id", "file", "notify", "primaries", "acl",
              "dnssec-validation", "zonefile-sync"):
        keys.add("template.%s" % n)
    return keys
