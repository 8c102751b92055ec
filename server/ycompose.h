/* ycompose.h -- one YAML node from libyaml's event stream into a document.
 *
 * config.c reads its file with libyaml's event API so that a long zones:
 * list is handled one entry at a time and never exists as a whole: the
 * document loader (yaml_parser_load) holds about 11 bytes of tree per byte
 * of file (97 MB for a 100,000-zone file of 8.6 MB). What the sections
 * need as a tree (server:, rate-limit:, one zones: entry) is composed
 * here, node by node, into a small yaml_document_t, with each node's start
 * mark kept so errors name the line.
 *
 * Anchors and aliases work within one composed node: an alias names an
 * anchor defined earlier in the same node (a section, or one zones:
 * entry), never one outside it nor the node that holds it (no cycles). A
 * node is nested at most YCOMPOSE_MAX_DEPTH deep (the composer recurses;
 * a configuration needs 5).
 *
 * Work and memory: linear in the events of the node (each scalar copied
 * once into the document); one alias lookup is a scan of the node's
 * anchors (at most YCOMPOSE_MAX_ANCHORS). Any single thread.
 */
#ifndef LEVEE_SERVER_YCOMPOSE_H
#define LEVEE_SERVER_YCOMPOSE_H

#include <stddef.h>
#include <yaml.h>

#define YCOMPOSE_MAX_DEPTH 16
#define YCOMPOSE_MAX_ANCHORS 64

/* Where and why composing failed: a 0-based line, as libyaml's marks. */
struct ycompose_err {
	size_t line;
	char msg[200];
};

/* Composes the node whose first event is *first (already read from parser;
 * this call owns and deletes it, and reads the rest of the node from
 * parser) into doc, which yaml_document_initialize prepared. Returns the
 * node's id in doc (> 0), or 0 with e filled: a YAML syntax error
 * ("YAML error: ..."), an alias to no anchor of the node, a duplicate
 * anchor, nesting past YCOMPOSE_MAX_DEPTH, or no memory. doc keeps what
 * was composed; the caller deletes it either way. */
int ycompose_node(yaml_parser_t *parser, yaml_event_t *first,
		  yaml_document_t *doc, struct ycompose_err *e);

/* Reads the next event into *ev. 1, or 0 with the syntax error in e. */
int ycompose_next(yaml_parser_t *parser, yaml_event_t *ev,
		  struct ycompose_err *e);

#endif
