/*
 * unused.h - `rolegate analyze unused --days N`: unused access, as IAM Access Analyzer's unused access findings
 * name it (UnusedIAMRole, UnusedIAMUserAccessKey, UnusedIAMUserPassword, UnusedPermission), from the store and its
 * audit trail.
 */
#ifndef ROLEGATE_ANALYZE_UNUSED_H
#define ROLEGATE_ANALYZE_UNUSED_H

/* `rolegate analyze unused --days N [--data DIR | --postgres CONNINFO] [--account ID] [--format table|json]`. */
int analyze_unused_main(int argc, char **argv);

#endif
