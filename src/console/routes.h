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
/* Whether the signed-in IAM user's login profile says PasswordResetRequired (the router then allows only the
 * password page and sign-out). */
bool signin_reset_required(struct console_req *cr);
/* The sign-in form's parameter holding the page first asked for, gone to once signed in. */
#define SIGNIN_RETURN_PARAM "redirect_uri"
#define SIGNIN_RETURN_MAX 2048
/* Whether s may be gone to after sign-in: a path of this console ("/console/..." with its query), printable ASCII
 * without '\\', "//", ".." segments or spaces, at most SIGNIN_RETURN_MAX bytes: never another site. */
bool signin_return_ok(const char *s);

/* ---- fed: /federation (federation.c) ---- */
void federation_handler(struct console_req *cr); /* GET, POST /federation: Action=getSigninToken, login */
struct session_claims;
/* Records action (signin:GetSigninToken, signin:ConsoleLogin) of the session cl in the durable audit trail before
 * the answer leaves; detail (borrowed, may be NULL) and response (JSON text, may be NULL) never hold a secret. */
int federation_audit(struct console_req *cr, const char *action, const struct session_claims *cl,
                     const char *outcome, json_t *detail, const char *response);
/* ConsoleLogin's responseElements for a sign-in that succeeded (CloudTrail's). */
#define CONSOLE_LOGIN_SUCCESS "{\"ConsoleLogin\":\"Success\"}"
/* A signed-in answer: a 200 page of this server that goes on to path (this console's) by itself. */
void federation_continue_to(struct console_req *cr, const char *path);

/* ---- saml: SAML sign-in (saml.c) ---- */
void console_saml(struct console_req *cr); /* POST /saml: an IdP's SAMLResponse -> a role's console session */
/* The sign-in page's "Sign in with SAML" section: a link to each SAML provider's sign-in URL (its metadata's
 * SingleSignOnService) when some account has a SAML provider; nothing otherwise. */
void saml_signin_section(struct console_req *cr);

/* ---- switch: switch role, back, recent roles (switchrole.c) ---- */
void console_switchrole_form(struct console_req *cr); /* GET /console/switchrole (AWS's link shape) */
void console_switchrole(struct console_req *cr);      /* POST /console/switchrole: sts:AssumeRole as the signer */
void console_back(struct console_req *cr);            /* POST /console/back: back to the signed-in identity */

/* ---- views: resource pages, MFA (views_*.c, mfa.c) ---- */
void console_iam_users(struct console_req *cr);      /* GET /console/iam/users */
void console_iam_user(struct console_req *cr);       /* GET /console/iam/users/NAME */
void console_iam_groups(struct console_req *cr);     /* GET /console/iam/groups */
void console_iam_group(struct console_req *cr);      /* GET /console/iam/groups/NAME */
void console_iam_roles(struct console_req *cr);      /* GET /console/iam/roles */
void console_iam_role(struct console_req *cr);       /* GET /console/iam/roles/NAME */
void console_iam_policies(struct console_req *cr);   /* GET /console/iam/policies */
void console_iam_policy(struct console_req *cr);     /* GET /console/iam/policies/ARN */
void console_organizations(struct console_req *cr);  /* GET /console/organizations */
void console_mfa(struct console_req *cr);            /* GET /console/mfa */
void console_mfa_create(struct console_req *cr);     /* POST /console/mfa/create */
void console_mfa_enable(struct console_req *cr);     /* POST /console/mfa/enable */
void console_mfa_remove(struct console_req *cr);     /* POST /console/mfa/remove */

/* ---- sim: the policy simulator (simulator.c), the audit trail (views_audit.c) ---- */
void console_simulator(struct console_req *cr); /* GET /console/simulator */
void console_audit(struct console_req *cr);     /* GET /console/audit */
void console_audit_event(struct console_req *cr); /* GET /console/audit/event?id=EVENT_ID */

/* ---- reach: the access analysis report (reach.c) ---- */
void console_reach(struct console_req *cr); /* GET /console/reach: the latest `analyze reach --format html` report */
/* The home page's "Access analysis" section: a link to /console/reach when a report exists and the active identity
 * may see it (of the management account, allowed to read the organization); nothing otherwise. */
void reach_home_section(struct console_req *cr);

#endif
