/*
 * cli_status.h: printing the document of status.c (part of the program, not
 * of the library: only the cli files, cli*.c, print; only cli.c exits).
 */
#ifndef CLI_STATUS_H
#define CLI_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* One JSON object on a line, or a page of text for a person. */
void cli_status_print(FILE *out, const json_t *doc, bool json);

#endif
