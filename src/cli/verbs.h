/*
 * verbs.h - the client verbs, the engineer's side of rolegate (each takes the arguments after its name and returns
 * the process's exit status).
 */
#ifndef ROLEGATE_CLI_VERBS_H
#define ROLEGATE_CLI_VERBS_H

int exec_main(int argc, char **argv);               /* handout.c */
int env_main(int argc, char **argv);                /* handout.c */
int credential_process_main(int argc, char **argv); /* handout.c */
int serve_credentials_main(int argc, char **argv);  /* serve.c */
int whoami_main(int argc, char **argv);             /* sessions.c */
int list_main(int argc, char **argv);               /* sessions.c */
int clear_main(int argc, char **argv);              /* sessions.c */
int login_main(int argc, char **argv);              /* login.c */

#endif
