/*
 * rolecolor.h - the switch-role bar in a colour other than AWS's five (rolecolor.c: GET /console/session.css).
 */
#ifndef ROLEGATE_CONSOLE_ROLECOLOR_H
#define ROLEGATE_CONSOLE_ROLECOLOR_H

#include <stdbool.h>

#include "console/console.h"

/* Whether color is six hex digits other than one of the five console.css has classes for: the page then links
 * /console/session.css for it. */
bool rolecolor_custom(const char *color);

/* GET /console/session.css: the active role's bar colour (empty when signed out or for a named colour). */
void console_session_css(struct console_req *cr);

#endif
