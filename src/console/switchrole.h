/*
 * switchrole.h - switching roles in the console (engineer "switch": switchrole.c). The home page (home.c) calls
 * switchrole_home_section() to fill its section id="switchable-roles".
 */
#ifndef ROLEGATE_CONSOLE_SWITCHROLE_H
#define ROLEGATE_CONSOLE_SWITCHROLE_H

#include "console/console.h"

/* Writes the inside of the home page's <section id="switchable-roles"> (its heading included) into cr->html: the
 * roles the signed-in identity may switch to and its recent roles. home_roles.c holds a minimal one until
 * switchrole.c replaces it. */
void switchrole_home_section(struct console_req *cr);

#endif
