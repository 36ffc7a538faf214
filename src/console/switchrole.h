/*
 * switchrole.h - switching roles in the console (switchrole.c: the form, AWS's switch-role link, the switch, back to
 * the user; home_roles.c: the home page's switchable and recent roles; switchable.h: which roles may be switched to).
 */
#ifndef ROLEGATE_CONSOLE_SWITCHROLE_H
#define ROLEGATE_CONSOLE_SWITCHROLE_H

#include "console/console.h"

/* AWS's switch-role colours (the console's five), as "RRGGBB". */
extern const char *const switchrole_colors[];
extern const char *const switchrole_color_names[];
#define SWITCHROLE_NCOLORS 5
/* How many recent roles the home page lists (AWS's console keeps five; rolegate keeps them all on the server). */
#define SWITCHROLE_RECENT_SHOWN 50

/* Writes the inside of the home page's <section id="switchable-roles"> (its heading included) into cr->html: the
 * roles the signed-in identity may switch to and its recent roles. */
void switchrole_home_section(struct console_req *cr);

/* The RoleSessionName a switch of cr's signer uses: the IAM user's name (as AWS's console does), a federated role
 * session's own session name, the account id for root (whom AssumeRole refuses anyway). out: 65 bytes. */
void switchrole_session_name(const struct console_req *cr, char out[65]);

/* The CSS class suffix of a colour ("RRGGBB" of AWS's five, else "none"). */
const char *switchrole_color_class(const char *color);

#endif
