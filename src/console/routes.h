/*
 * routes.h - the console's page handlers, listed in console.c's route table. Each engineer's section holds the
 * handlers of its files (signin.c, home.c: core; federation.c: fed; switchrole.c: switch; views_*.c, mfa.c:
 * views; simulator.c: sim).
 */
#ifndef ROLEGATE_CONSOLE_ROUTES_H
#define ROLEGATE_CONSOLE_ROUTES_H

#include "console/console.h"

/* ---- core: sign-in, sign-out, password, home (signin.c, home.c) ---- */
void console_home(struct console_req *cr);           /* GET /console/ */
void console_signin_form(struct console_req *cr);    /* GET /console/signin */
void console_signin(struct console_req *cr);         /* POST /console/signin */
void console_signout(struct console_req *cr);        /* POST /console/signout */
void console_password_form(struct console_req *cr);  /* GET /console/password */
void console_password(struct console_req *cr);       /* POST /console/password */

/* ---- fed: /federation (federation.c) ---- */

/* ---- switch: switch role, back, recent roles (switchrole.c) ---- */

/* ---- views: resource pages, MFA (views_*.c, mfa.c) ---- */

/* ---- sim: the policy simulator (simulator.c) ---- */

#endif
