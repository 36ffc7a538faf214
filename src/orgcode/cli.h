/*
 * cli.h - the verbs of src/orgcode/: `rolegate export terraform OUTDIR` and `rolegate import authorization-details
 * FILE --account ID`.
 */
#ifndef ROLEGATE_ORGCODE_CLI_H
#define ROLEGATE_ORGCODE_CLI_H

/* `rolegate export ...`: the process exit status. */
int export_main(int argc, char **argv);
/* `rolegate import ...`: the process exit status. */
int import_main(int argc, char **argv);

#endif
