# fish completion for rolegate(1). Installed as share/fish/vendor_completions.d/rolegate.fish (make install); or copy
# it to ~/.config/fish/completions/. Verbs and options are those of `rolegate help` and `rolegate VERB --help`
# (tests/e2e/test_cli_docs.py keeps them in step); profile names come from the AWS config files.

# The profiles of the AWS config and credentials files: [default] and [profile NAME] of
# ${AWS_CONFIG_FILE-~/.aws/config}, [NAME] of ${AWS_SHARED_CREDENTIALS_FILE-~/.aws/credentials}. As in rolegate,
# a variable that is set, even to "", replaces the default.
function __rolegate_profiles
    set -l config ~/.aws/config
    set -l creds ~/.aws/credentials
    set -q AWS_CONFIG_FILE; and set config $AWS_CONFIG_FILE
    set -q AWS_SHARED_CREDENTIALS_FILE; and set creds $AWS_SHARED_CREDENTIALS_FILE
    set config (string replace -r '^~/' "$HOME/" -- $config)
    set creds (string replace -r '^~/' "$HOME/" -- $creds)
    if test -f "$config" -a -r "$config"
        for name in (string match -rg '^\s*\[(.*)\]' <$config)
            if test "$name" = default
                echo default
            else
                string match -rg '^profile\s+(?|([^\s\'"]+)|\'([^\']+)\'|"([^"]+)")\s*$' -- $name
            end
        end
    end
    if test -f "$creds" -a -r "$creds"
        string match -rg '^\s*\[(.*)\]' <$creds | string match -v -- DEFAULT
    end
end

# The verbs whose first argument is a profile, and the credential verbs' shared options.
set -l __rolegate_profile_verbs exec env credential-process serve-credentials whoami login clear
set -l __rolegate_client_verbs exec env credential-process serve-credentials whoami login

# Whether the arguments after the verb (options and their values left out) are still fewer than $argv[1], and no
# "--" has been typed: the next argument is then a positional one.
function __rolegate_nargs_below
    set -l tokens (commandline -opc)
    set -l n 0
    set -l skip 0
    for t in $tokens[3..-1]
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $t
            case --
                return 1
            case --mfa-code --duration --mfa-duration --region --format --port --kind --data --master-key-file --postgres --from-data --to-postgres
                set skip 1
            case '-*'
            case '*'
                set n (math $n + 1)
        end
    end
    test $n -lt $argv[1]
end

# Whether the command line has a "--" after exec or serve-credentials: what follows is a command of its own.
function __rolegate_after_dashdash
    set -l tokens (commandline -opc)
    contains -- $tokens[2] exec serve-credentials; and contains -- -- $tokens[3..-1]
end

# Completes the command after "--" and its arguments as if it had been typed alone.
function __rolegate_complete_command
    set -l tokens (commandline -opc)
    set -l i (contains -i -- -- $tokens)
    set -l rest $tokens[(math $i + 1)..-1]
    complete -C (string join ' ' -- (string escape -- $rest) (commandline -ct))
end

# Whether the verb (the first argument) is one of $argv.
function __rolegate_verb_is
    set -l tokens (commandline -opc)
    set -q tokens[2]; and contains -- $tokens[2] $argv
end

complete -c rolegate -f

# Verbs
complete -c rolegate -n __fish_use_subcommand -a server -d 'run the AWS-compatible IAM/STS/Organizations endpoint'
complete -c rolegate -n __fish_use_subcommand -a policy -d 'evaluate or validate IAM policies'
complete -c rolegate -n __fish_use_subcommand -a keys -d 'rotate, list or retire the keys that seal session tokens'
complete -c rolegate -n __fish_use_subcommand -a master-key -d 're-seal every secret under a new master key'
complete -c rolegate -n __fish_use_subcommand -a root-password -d "set the web console password of an account's root user"
complete -c rolegate -n __fish_use_subcommand -a analyze -d 'access analysis: reach, who can do what, escalation, unused access'
complete -c rolegate -n __fish_use_subcommand -a export -d 'the organization as Terraform with import blocks'
complete -c rolegate -n __fish_use_subcommand -a import -d 'build an account from get-account-authorization-details JSON'
complete -c rolegate -n __fish_use_subcommand -a audit -d 'show the audit trail'
complete -c rolegate -n __fish_use_subcommand -a accounts -d "an account's enforcement mode: strict or soft"
complete -c rolegate -n __fish_use_subcommand -a migrate -d 'move a data directory into an empty PostgreSQL database'
complete -c rolegate -n __fish_use_subcommand -a snapshot -d 'save or restore a consistent copy of the databases'
complete -c rolegate -n __fish_use_subcommand -a exec -d "run a command with a profile's credentials"
complete -c rolegate -n __fish_use_subcommand -a env -d "print a profile's credentials as variables"
complete -c rolegate -n __fish_use_subcommand -a credential-process -d 'credentials as JSON for credential_process'
complete -c rolegate -n __fish_use_subcommand -a serve-credentials -d 'ECS-style credential endpoint on 127.0.0.1'
complete -c rolegate -n __fish_use_subcommand -a whoami -d "sts:GetCallerIdentity with a profile's credentials"
complete -c rolegate -n __fish_use_subcommand -a list -d 'profiles, their chains and cached sessions'
complete -c rolegate -n __fish_use_subcommand -a clear -d 'forget cached sessions'
complete -c rolegate -n __fish_use_subcommand -a login -d 'AWS console sign-in URL'
complete -c rolegate -n __fish_use_subcommand -a version -d 'print the version'
complete -c rolegate -n __fish_use_subcommand -a help -d 'list the verbs'
complete -c rolegate -n __fish_use_subcommand -s h -l help -d 'list the verbs'

# server
set -l s '__rolegate_verb_is server'
complete -c rolegate -n $s -l listen -x -d 'address to listen on (ADDR:PORT)'
complete -c rolegate -n $s -l tls-cert -r -F -d 'serve HTTPS with this PEM certificate chain'
complete -c rolegate -n $s -l tls-key -r -F -d 'PEM private key of --tls-cert'
complete -c rolegate -n $s -l insecure-http -d 'allow plain HTTP on a non-loopback address'
complete -c rolegate -n $s -l trusted-proxy -x -d 'proxy whose X-Forwarded-For or Forwarded names the client'
complete -c rolegate -n $s -l metrics-listen -x -d 'serve Prometheus metrics on this address (ADDR:PORT)'
complete -c rolegate -n $s -l reach-report -r -F -d 'the access analysis report the console links to'
complete -c rolegate -n $s -l data -x -a '(__fish_complete_directories)' -d 'data directory'
complete -c rolegate -n $s -l postgres -x -d 'keep the database in PostgreSQL (libpq conninfo or URI)'
complete -c rolegate -n $s -l master-key-file -r -F -d 'key that seals secrets at rest'
complete -c rolegate -n $s -l account-id -x -d '12-digit id of the management account'
complete -c rolegate -n $s -l threads -x -d 'request threads'
complete -c rolegate -n $s -l max-connections -x -d 'connections served at once'
complete -c rolegate -n $s -l max-connections-per-ip -x -d 'connections from one client address'
complete -c rolegate -n $s -l request-deadline -x -d 'SECONDS a request may take to arrive'
complete -c rolegate -n $s -l idle-timeout -x -d 'idle connections are closed after SECONDS'
complete -c rolegate -n $s -l max-body -x -d 'largest request body (BYTES)'
complete -c rolegate -n $s -l example -x -a seed -d 'make a built-in example on an empty data directory'
complete -c rolegate -n $s -l log-level -x -a 'debug info warn error' -d 'log level'
complete -c rolegate -n $s -l log-format -x -a 'logfmt json' -d 'log line format'
complete -c rolegate -n $s -l quota -x -d 'raise an IAM quota (NAME=N)'
complete -c rolegate -n $s -l rate-principal -x -d 'requests a second per principal (RPS[:BURST], 0: no limit)'
complete -c rolegate -n $s -l rate-account -x -d 'requests a second per account (RPS[:BURST], 0: no limit)'
complete -c rolegate -n $s -l encode-denials -d 'end AccessDenied messages with an encoded authorization failure message'
complete -c rolegate -n $s -l enforce -x -a 'strict soft' -d 'what a denial by the policies does'
complete -c rolegate -n $s -l compat -x -a 'moto' -d 'serve a moto test suite: NO authentication for unknown keys'
complete -c rolegate -n $s -l compat-account -x -d 'the account unknown keys act in with --compat'
complete -c rolegate -n $s -l config -r -F -d 'read options from an INI file'
complete -c rolegate -n $s -l print-config -d 'print the effective configuration and exit'
complete -c rolegate -n $s -s h -l help -d 'show the usage'

# policy
set -l s '__rolegate_verb_is policy'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from eval validate generate" -a eval -d 'evaluate test cases'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from eval validate generate" -a validate -d 'validate a policy document'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from eval validate generate" -a generate -d 'a least-privilege policy from the audit trail'
complete -c rolegate -n "$s; and __fish_seen_subcommand_from eval validate" -F
complete -c rolegate -n $s -l principal -x -d 'generate: the user or role (ARN) whose calls are read'
complete -c rolegate -n $s -l since -x -d 'generate: calls from TIME (ISO 8601, or 90s, 15m, 2h, 7d back)'
complete -c rolegate -n $s -l account -x -d 'generate: calls on resources of that account'
complete -c rolegate -n $s -l trust -d 'generate: the trust policy of the role from who assumed it'
complete -c rolegate -n $s -l data -x -a '(__fish_complete_directories)' -d 'generate: data directory'
complete -c rolegate -n $s -l postgres -x -d 'generate: the PostgreSQL database the nodes share (conninfo)'
complete -c rolegate -n $s -l kind -x -a 'identity trust resource boundary session scp rcp' -d 'policy kind (validate)'
complete -c rolegate -n $s -s h -l help -d 'show the usage'

# keys
set -l s '__rolegate_verb_is keys'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from rotate list retire" -a rotate -d 'add a session-token key'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from rotate list retire" -a list -d 'list the keys'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from rotate list retire" -a retire -d 'delete an older key'
complete -c rolegate -n $s -l data -x -a '(__fish_complete_directories)' -d 'data directory'
complete -c rolegate -n $s -l postgres -x -d 'the PostgreSQL database the nodes share (conninfo)'
complete -c rolegate -n $s -l master-key-file -r -F -d 'key that seals secrets at rest'
complete -c rolegate -n $s -s h -l help -d 'show the usage'

# export
set -l s '__rolegate_verb_is export'
complete -c rolegate -n $s -a terraform -d 'Terraform for hashicorp/aws'
complete -c rolegate -n $s -l data -x -a '(__fish_complete_directories)' -d 'data directory'
complete -c rolegate -n $s -l postgres -x -d 'the PostgreSQL database the nodes share (conninfo)'

# import
set -l s '__rolegate_verb_is import'
complete -c rolegate -n $s -a authorization-details -d 'the JSON of aws iam get-account-authorization-details'
complete -c rolegate -n $s -l data -x -a '(__fish_complete_directories)' -d 'data directory'
complete -c rolegate -n $s -l postgres -x -d 'the PostgreSQL database the nodes share (conninfo)'
complete -c rolegate -n $s -l account -x -d 'the account to build'

# accounts
set -l s '__rolegate_verb_is accounts'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from set-enforcement list-enforcement" -a set-enforcement -d "an account's own enforcement mode"
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from set-enforcement list-enforcement" -a list-enforcement -d "every account's setting and tag"
complete -c rolegate -n "$s; and __fish_seen_subcommand_from set-enforcement" -a 'strict soft inherit' -d 'mode'
complete -c rolegate -n $s -l data -x -a '(__fish_complete_directories)' -d 'data directory'
complete -c rolegate -n $s -l postgres -x -d 'the PostgreSQL database the nodes share (conninfo)'
complete -c rolegate -n $s -s h -l help -d 'show the usage'

# root-password
set -l s '__rolegate_verb_is root-password'
complete -c rolegate -n $s -l data -x -a '(__fish_complete_directories)' -d 'data directory'
complete -c rolegate -n $s -l postgres -x -d 'the PostgreSQL database the nodes share (conninfo)'
complete -c rolegate -n $s -l account -x -d 'the account (default: the management account)'
complete -c rolegate -n $s -l delete -d 'remove the password'
complete -c rolegate -n $s -s h -l help -d 'show the usage'

# master-key
set -l s '__rolegate_verb_is master-key'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from rotate id" -a rotate -d 're-seal every secret under a new master key'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from rotate id" -a id -d 'the id of a key and of the directory'
complete -c rolegate -n $s -l data -x -a '(__fish_complete_directories)' -d 'data directory'
complete -c rolegate -n $s -l postgres -x -d 'the PostgreSQL database the nodes share (conninfo)'
complete -c rolegate -n $s -l master-key-file -r -F -d 'the current key'
complete -c rolegate -n $s -l new-key-file -r -F -d 'where the new key goes (with --master-key-file)'
complete -c rolegate -n $s -s h -l help -d 'show the usage'

# analyze
set -l s '__rolegate_verb_is analyze'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from reach who-can can escalation unused" -a 'reach who-can can' -d 'sub-verb'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from reach who-can can escalation unused" -a escalation -d 'principals that can raise their own privileges'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from reach who-can can escalation unused" -a unused -d 'access not used in N days'
complete -c rolegate -n $s -l data -x -a '(__fish_complete_directories)' -d 'data directory'
complete -c rolegate -n $s -l postgres -x -d 'the PostgreSQL database the nodes share (conninfo)'
complete -c rolegate -n $s -l account -x -d 'only this account'
complete -c rolegate -n $s -l format -x -a 'table json dot html' -d 'output format (dot, html: reach)'
complete -c rolegate -n $s -l output -r -F -d 'reach: write to this file'
complete -c rolegate -n $s -l endpoint-url -x -d 'reach: read the organization over the API at this URL'
complete -c rolegate -n $s -l profile -x -d 'reach over the API: credentials of this profile'
complete -c rolegate -n $s -l region -x -d 'reach over the API: the region'
complete -c rolegate -n $s -l role-name -x -d 'reach over the API: the role entered in member accounts'
complete -c rolegate -n $s -l json -d 'who-can, can: JSON'
complete -c rolegate -n $s -l days -x -d 'unused: the window in days'
complete -c rolegate -n $s -s h -l help -d 'show the usage'

# audit
set -l s '__rolegate_verb_is audit'
complete -c rolegate -n $s -l data -x -a '(__fish_complete_directories)' -d 'data directory'
complete -c rolegate -n $s -l postgres -x -d 'the PostgreSQL database the nodes share (conninfo)'
complete -c rolegate -n $s -l since -x -d 'records from TIME (ISO 8601, or 90s, 15m, 2h, 7d back)'
complete -c rolegate -n $s -l principal -x -d 'records of that caller (ARN)'
complete -c rolegate -n $s -l role -x -d 'records of that role (ARN)'
complete -c rolegate -n $s -l action -x -d 'records of that action (SERVICE:ACTION)'
complete -c rolegate -n $s -l limit -x -d 'at most the last N records'
complete -c rolegate -n $s -l json -d 'JSON lines'
complete -c rolegate -n $s -l format -x -a 'text json cloudtrail' -d 'output format'
complete -c rolegate -n $s -l before -x -d 'prune: delete the records older than TIME'
complete -c rolegate -n $s -l explain -x -d 'the record of one request (REQUEST_ID) and the reasoning of its denial'
complete -c rolegate -n $s -l follow -d 'stream the decisions as they are recorded, until interrupted'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from prune" -a prune -d 'delete the records older than --before'
complete -c rolegate -n $s -s h -l help -d 'show the usage'

# migrate
set -l s '__rolegate_verb_is migrate'
complete -c rolegate -n $s -l from-data -x -a '(__fish_complete_directories)' -d 'the SQLite data directory to move'
complete -c rolegate -n $s -l to-postgres -x -d 'the empty PostgreSQL database (conninfo or URI)'
complete -c rolegate -n $s -s h -l help -d 'show the usage'

# snapshot
set -l s '__rolegate_verb_is snapshot'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from save restore" -a save -d 'copy the databases into FILE'
complete -c rolegate -n "$s; and not __fish_seen_subcommand_from save restore" -a restore -d 'restore FILE into a new data directory'
complete -c rolegate -n "$s; and __fish_seen_subcommand_from save restore" -F
complete -c rolegate -n $s -l data -x -a '(__fish_complete_directories)' -d 'data directory'
complete -c rolegate -n $s -s h -l help -d 'show the usage'

# The credential verbs: profile first, their shared options, and a command after "--".
set -l s "__rolegate_verb_is $__rolegate_client_verbs; and not __rolegate_after_dashdash"
complete -c rolegate -n $s -l mfa-code -x -d 'the MFA code instead of a prompt or mfa_process'
complete -c rolegate -n $s -l direct -d 'AssumeRole with SerialNumber/TokenCode, no cached MFA session'
complete -c rolegate -n $s -l duration -x -d 'role session duration (SECONDS)'
complete -c rolegate -n $s -l mfa-duration -x -d 'lifetime of the MFA session (SECONDS)'
complete -c rolegate -n $s -l region -x -d 'region for STS and for the command'
complete -c rolegate -n $s -s h -l help -d 'show the usage'
complete -c rolegate -n "__rolegate_verb_is env" -l format -x -a 'sh fish json' -d 'output format'
complete -c rolegate -n "__rolegate_verb_is serve-credentials; and not __rolegate_after_dashdash" -l port -x -d 'port on 127.0.0.1'
complete -c rolegate -n "__rolegate_verb_is login" -l print -d 'print the URL instead of opening it'
complete -c rolegate -n "__rolegate_verb_is $__rolegate_profile_verbs; and __rolegate_nargs_below 1" -x -a '(__rolegate_profiles)' -d 'AWS profile'
complete -c rolegate -n __rolegate_after_dashdash -x -a '(__rolegate_complete_command)'

# list, clear
complete -c rolegate -n '__rolegate_verb_is list clear' -s h -l help -d 'show the usage'
