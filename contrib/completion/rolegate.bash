# bash completion for rolegate(1). Installed as share/bash-completion/completions/rolegate (make install); or
# source it from ~/.bashrc. Verbs and options are those of `rolegate help` and `rolegate VERB --help`
# (tests/e2e/test_cli_docs.py keeps them in step); profile names come from the AWS config files.

# The profiles of the AWS config and credentials files, one a line: [default] and [profile NAME] of
# ${AWS_CONFIG_FILE-~/.aws/config}, [NAME] of ${AWS_SHARED_CREDENTIALS_FILE-~/.aws/credentials}. As in rolegate,
# a variable that is set, even to "", replaces the default.
_rolegate_profiles()
{
	local config=${AWS_CONFIG_FILE-~/.aws/config} creds=${AWS_SHARED_CREDENTIALS_FILE-~/.aws/credentials}
	local line name
	[[ $config == "~/"* ]] && config=$HOME/${config#"~/"}
	[[ $creds == "~/"* ]] && creds=$HOME/${creds#"~/"}
	if [[ -f $config && -r $config ]]; then
		while IFS= read -r line || [[ -n $line ]]; do
			[[ $line =~ ^[[:space:]]*\[(.*)\] ]] || continue
			name=${BASH_REMATCH[1]}
			if [[ $name == default ]]; then
				printf '%s\n' default
			elif [[ $name =~ ^profile[[:space:]]+([^[:space:]\'\"]+)[[:space:]]*$ ]]; then
				printf '%s\n' "${BASH_REMATCH[1]}"
			elif [[ $name =~ ^profile[[:space:]]+\'([^\']+)\'[[:space:]]*$ ]] ||
				[[ $name =~ ^profile[[:space:]]+\"([^\"]+)\"[[:space:]]*$ ]]; then
				printf '%s\n' "${BASH_REMATCH[1]}"
			fi
		done <"$config"
	fi
	if [[ -f $creds && -r $creds ]]; then
		while IFS= read -r line || [[ -n $line ]]; do
			[[ $line =~ ^[[:space:]]*\[(.*)\] ]] || continue
			[[ ${BASH_REMATCH[1]} == DEFAULT ]] || printf '%s\n' "${BASH_REMATCH[1]}"
		done <"$creds"
	fi
}

_rolegate()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local verbs="server policy keys master-key root-password analyze audit migrate snapshot export import accounts exec env credential-process serve-credentials whoami list clear login version help"
	local client="--mfa-code --direct --duration --mfa-duration --region --help"
	local opts="" valued="" positional="" i w verb="" nargs=0 dashdash=0

	COMPREPLY=()
	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
		return
	fi
	verb=${COMP_WORDS[1]}

	# What each verb takes: opts (all its options), valued (those that take a value), positional (what its
	# arguments are: profile, profile? (optional), sub:WORDS (a subcommand), file, or nothing).
	case $verb in
	server)
		opts="--listen --data --master-key-file --account-id --threads --max-connections --max-connections-per-ip --request-deadline --idle-timeout --max-body"
		opts="$opts --tls-cert --tls-key --insecure-http --trusted-proxy --example --log-level --log-format --quota --help"
		valued="--listen --data --master-key-file --account-id --threads --max-connections --max-connections-per-ip --request-deadline --idle-timeout --max-body"
		valued="$valued --tls-cert --tls-key --trusted-proxy --example --log-level --log-format --quota"
		opts="$opts --rate-principal --rate-account"
		valued="$valued --rate-principal --rate-account"
		opts="$opts --config --print-config --postgres"
		valued="$valued --postgres"
		valued="$valued --config"
		opts="$opts --encode-denials"
		opts="$opts --metrics-listen"
		valued="$valued --metrics-listen"
		opts="$opts --reach-report"
		valued="$valued --reach-report"
		opts="$opts --enforce"
		valued="$valued --enforce"
		opts="$opts --compat --compat-account"
		valued="$valued --compat --compat-account"
		;;
	policy)
		opts="--kind --help" valued="--kind" positional="sub:eval validate generate"
		opts="$opts --principal --since --account --trust --data --postgres"
		valued="$valued --principal --since --account --data --postgres"
		;;
	keys)
		opts="--data --postgres --master-key-file --help" valued="--data --postgres --master-key-file"
		positional="sub:rotate list retire"
		;;
	export)
		opts="--data --postgres --help" valued="--data --postgres" positional="sub:terraform"
		;;
	import)
		opts="--data --postgres --account --help" valued="--data --postgres --account"
		positional="sub:authorization-details"
		;;
	root-password)
		opts="--data --postgres --account --delete --help" valued="--data --postgres --account"
		;;
	accounts)
		opts="--data --postgres --help" valued="--data --postgres" positional="sub:set-enforcement list-enforcement"
		;;
	master-key)
		opts="--data --postgres --master-key-file --new-key-file --help"
		valued="--data --postgres --master-key-file --new-key-file"
		positional="sub:rotate id"
		;;
	analyze)
		opts="--data --postgres --account --format --output --json --days --endpoint-url --profile --region --role-name --help"
		valued="--data --postgres --account --format --output --days --endpoint-url --profile --region --role-name" positional="sub:reach who-can can escalation unused"
		;;
	audit)
		opts="--data --postgres --since --principal --role --action --limit --json --format --before --help"
		opts="$opts --follow"
		valued="--data --postgres --since --principal --role --action --limit --format --before" positional="sub:prune"
		opts="$opts --explain" valued="$valued --explain"
		;;
	migrate)
		opts="--from-data --to-postgres --help" valued="--from-data --to-postgres"
		;;
	snapshot)
		opts="--data --help" valued="--data" positional="sub:save restore"
		;;
	exec | credential-process)
		opts=$client valued="--mfa-code --duration --mfa-duration --region" positional=profile
		;;
	env)
		opts="$client --format" valued="--mfa-code --duration --mfa-duration --region --format" positional=profile
		;;
	serve-credentials)
		opts="$client --port" valued="--mfa-code --duration --mfa-duration --region --port" positional=profile
		;;
	whoami)
		opts=$client valued="--mfa-code --duration --mfa-duration --region" positional="profile?"
		;;
	login)
		opts="$client --print" valued="--mfa-code --duration --mfa-duration --region" positional=profile
		;;
	clear)
		opts="--help" positional="profile?"
		;;
	list)
		opts="--help"
		;;
	*)
		return
		;;
	esac

	# The words between the verb and the cursor: count the arguments, and find a "--" (exec, serve-credentials).
	for ((i = 2; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == -- ]] && [[ $verb == exec || $verb == serve-credentials ]]; then
			dashdash=$i
			break
		fi
		if [[ " $valued " == *" $w "* ]]; then
			((i++))
		elif [[ $w != -* ]]; then
			((nargs++))
		fi
	done

	# After "--": a command, then that command's own arguments.
	if ((dashdash)); then
		if ((COMP_CWORD == dashdash + 1)); then
			COMPREPLY=($(compgen -c -- "$cur"))
		elif declare -F _command_offset >/dev/null; then
			_command_offset $((dashdash + 1))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		return
	fi

	case $prev in
	--format)
		if [[ $verb == audit ]]; then
			COMPREPLY=($(compgen -W "text json cloudtrail" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "sh fish json" -- "$cur"))
		fi
		return
		;;
	--kind) COMPREPLY=($(compgen -W "identity trust resource boundary session scp rcp" -- "$cur")); return ;;
	--log-level) COMPREPLY=($(compgen -W "debug info warn error" -- "$cur")); return ;;
	--log-format) COMPREPLY=($(compgen -W "logfmt json" -- "$cur")); return ;;
	--compat) COMPREPLY=($(compgen -W "moto" -- "$cur")); return ;;
	--example) COMPREPLY=($(compgen -W "seed" -- "$cur")); return ;;
	--data | --from-data) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--master-key-file | --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	esac
	[[ " $valued " == *" $prev "* ]] && return # a value rolegate cannot guess (a code, a number, an ARN)

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		# "--" itself, to start the command, once the profile is there
		if ((nargs >= 1)) && [[ $verb == exec || $verb == serve-credentials ]] && [[ -- == "$cur"* ]]; then
			COMPREPLY+=(--)
		fi
		return
	fi
	case $positional in
	profile | "profile?")
		if ((nargs == 0)); then
			local p
			while IFS= read -r p; do
				[[ $p == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$p")")
			done < <(_rolegate_profiles)
		fi
		;;
	sub:*)
		if ((nargs == 0)); then
			COMPREPLY=($(compgen -W "${positional#sub:}" -- "$cur"))
		elif [[ $verb == policy || $verb == snapshot || $verb == export || $verb == import ]]; then
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		;;
	esac
}

complete -F _rolegate rolegate
