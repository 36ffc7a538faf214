/*
 * verbs.h - the sub-verbs of `rolegate analyze` (src/analyze/cli.c's table): one file each.
 */
#ifndef ROLEGATE_ANALYZE_VERBS_H
#define ROLEGATE_ANALYZE_VERBS_H

/* `rolegate analyze reach`: who can assume which role, under which conditions, by which path (reach_cli.c). */
int analyze_reach_main(int argc, char **argv);
/* `rolegate analyze who-can ACTION RESOURCE`: every user and role allowed, and why (whocan.c). */
int analyze_who_can_main(int argc, char **argv);
/* `rolegate analyze can PRINCIPAL_ARN ACTION RESOURCE`: one decision and its statements (whocan.c). */
int analyze_can_main(int argc, char **argv);

#endif
