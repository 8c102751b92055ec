/* ycompose.c -- one YAML node from libyaml's event stream into a document.
 *
 * A recursive descent over the events of one node, depth bounded, that
 * adds each scalar, sequence and mapping to a yaml_document_t with
 * libyaml's own document calls (yaml_document_add_* and append_*), then
 * sets the node's start mark from its event (those calls leave it zero).
 * Anchors are registered once their node is complete, so an alias inside
 * the node it names finds nothing: a composed node has no cycles.
 */
#include "server/ycompose.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ycompose {
	yaml_parser_t *parser;
	yaml_document_t *doc;
	struct ycompose_err *e;
	struct {
		char *name;
		int id;
	} anchors[YCOMPOSE_MAX_ANCHORS];
	size_t anchor_count;
};

static int yc_fail(struct ycompose_err *e, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int yc_fail(struct ycompose_err *e, size_t line, const char *fmt, ...)
{
	va_list ap;

	e->line = line;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return 0;
}

int ycompose_next(yaml_parser_t *parser, yaml_event_t *ev,
		  struct ycompose_err *e)
{
	if (yaml_parser_parse(parser, ev))
		return 1;
	memset(ev, 0, sizeof(*ev));
	return yc_fail(e, parser->problem_mark.line, "YAML error: %s%s%s",
		       parser->problem ? parser->problem : "parse error",
		       parser->context ? " " : "",
		       parser->context ? parser->context : "");
}

static void yc_mark(struct ycompose *c, int id, const yaml_event_t *ev)
{
	c->doc->nodes.start[id - 1].start_mark = ev->start_mark;
}

/* Remembers anchor (taken from the event: *anchor is cleared) for id. */
static int yc_anchor(struct ycompose *c, yaml_char_t **anchor, int id,
		     size_t line)
{
	char *name = (char *)*anchor;

	if (!name)
		return id;
	for (size_t i = 0; i < c->anchor_count; i++)
		if (strcmp(c->anchors[i].name, name) == 0)
			return yc_fail(c->e, line, "duplicate anchor &%.64s",
				       name);
	if (c->anchor_count == YCOMPOSE_MAX_ANCHORS)
		return yc_fail(c->e, line, "more than %d anchors in one "
			       "section or zone entry", YCOMPOSE_MAX_ANCHORS);
	c->anchors[c->anchor_count].name = name;
	c->anchors[c->anchor_count++].id = id;
	*anchor = NULL;
	return id;
}

static int yc_alias(struct ycompose *c, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;

	for (size_t i = 0; i < c->anchor_count; i++)
		if (strcmp(c->anchors[i].name, name) == 0)
			return c->anchors[i].id;
	return yc_fail(c->e, ev->start_mark.line, "alias *%.64s: no anchor "
		       "of that name before it in this section or zone entry "
		       "(anchors do not reach across them)", name);
}

static int yc_node(struct ycompose *c, yaml_event_t *ev, int depth);

/* The items (a sequence) or the key-value pairs (a mapping) of the
 * collection id, up to its end event. 1 or 0 (e filled). */
static int yc_items(struct ycompose *c, int id, bool mapping, int depth)
{
	yaml_event_type_t end = mapping ? YAML_MAPPING_END_EVENT :
				YAML_SEQUENCE_END_EVENT;
	yaml_event_t ev;

	for (;;) {
		int k, v;

		if (!ycompose_next(c->parser, &ev, c->e))
			return 0;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 1;
		}
		if (!(k = yc_node(c, &ev, depth + 1)))
			return 0;
		if (!mapping) {
			if (!yaml_document_append_sequence_item(c->doc, id, k))
				return yc_fail(c->e, 0, "out of memory");
			continue;
		}
		if (!ycompose_next(c->parser, &ev, c->e) ||
		    !(v = yc_node(c, &ev, depth + 1)))
			return 0;
		if (!yaml_document_append_mapping_pair(c->doc, id, k, v))
			return yc_fail(c->e, 0, "out of memory");
	}
}

/* Composes the node that starts with *ev (deleted here). Its id or 0. */
static int yc_node(struct ycompose *c, yaml_event_t *ev, int depth)
{
	size_t line = ev->start_mark.line;
	int id = 0;

	if (depth > YCOMPOSE_MAX_DEPTH) {
		yaml_event_delete(ev);
		return yc_fail(c->e, line, "nested deeper than %d levels",
			       YCOMPOSE_MAX_DEPTH);
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		id = yaml_document_add_scalar(c->doc, NULL,
					      ev->data.scalar.value,
					      (int)ev->data.scalar.length,
					      ev->data.scalar.style);
		if (!id)
			break;
		yc_mark(c, id, ev);
		id = yc_anchor(c, &ev->data.scalar.anchor, id, line);
		yaml_event_delete(ev);
		return id;
	case YAML_ALIAS_EVENT:
		id = yc_alias(c, ev);
		yaml_event_delete(ev);
		return id;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool mapping = ev->type == YAML_MAPPING_START_EVENT;
		yaml_char_t **anchor = mapping ?
			&ev->data.mapping_start.anchor :
			&ev->data.sequence_start.anchor;

		id = mapping ?
			yaml_document_add_mapping(c->doc, NULL,
				ev->data.mapping_start.style) :
			yaml_document_add_sequence(c->doc, NULL,
				ev->data.sequence_start.style);
		if (!id)
			break;
		yc_mark(c, id, ev);
		if (!yc_items(c, id, mapping, depth)) {
			yaml_event_delete(ev);
			return 0;
		}
		id = yc_anchor(c, anchor, id, line);
		yaml_event_delete(ev);
		return id;
	}
	default:
		yaml_event_delete(ev);
		return yc_fail(c->e, line, "unexpected YAML event");
	}
	yaml_event_delete(ev);
	return yc_fail(c->e, line, "out of memory");
}

int ycompose_node(yaml_parser_t *parser, yaml_event_t *first,
		  yaml_document_t *doc, struct ycompose_err *e)
{
	struct ycompose c = { .parser = parser, .doc = doc, .e = e };
	int id = yc_node(&c, first, 0);

	for (size_t i = 0; i < c.anchor_count; i++)
		free(c.anchors[i].name);   /* libyaml's malloc */
	return id;
}
