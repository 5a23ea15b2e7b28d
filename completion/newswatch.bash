# bash completion for newswatch(1).
# Commands and options are read from the program's own `--help`, so a new command or option
# completes without an edit here; the lists below only fill what the usage lines leave out and
# stand in when the program cannot be run.

_newswatch_fallback_commands=(run check-config list show search sources stats alerts topics match
	demo parse-feed extract discover opml)

# Prints the commands listed by `PROGRAM --help` (the indented lines after "commands:").
_newswatch_commands() {
	local out
	out=$("$1" --help 2>/dev/null |
		awk '/^commands:/ { c = 1; next } c && /^  [a-z]/ { print $1 }')
	if [[ -n $out ]]; then
		printf '%s\n' "$out"
	else
		printf '%s\n' "${_newswatch_fallback_commands[@]}"
	fi
}

# Prints the options of command $2: those named in `PROGRAM COMMAND --help`, plus a few that the
# usage lines do not show.
_newswatch_options() {
	"$1" "$2" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | grep -vx -- '--help'
	case $2 in
	check-config) echo --quiet ;;
	list) echo --offset ;;
	alerts) echo --limit ;;
	extract) printf '%s\n' --batch --content-type --min-chars ;;
	esac
	echo --help
}

# Prints the names of the [[KIND]] tables (sources or topics) in the config file $1.
_newswatch_names() {
	[[ -r $1 ]] || return 0
	awk -v kind="[[$2]]" '
		/^[[:space:]]*\[/ { gsub(/[[:space:]]/, ""); in_kind = ($0 == kind); next }
		in_kind && /^[[:space:]]*name[[:space:]]*=/ {
			if (match($0, /"[^"]*"/)) print substr($0, RSTART + 1, RLENGTH - 2)
		}' "$1" 2>/dev/null
}

_newswatch() {
	local cur prev prog cmd i config
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	prog=${COMP_WORDS[0]}
	COMPREPLY=()

	# The command is the first word after the program that is not an option.
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} != -* ]]; then
			cmd=${COMP_WORDS[i]}
			break
		fi
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W '--help --version' -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_newswatch_commands "$prog")" -- "$cur")
		fi
		return 0
	fi

	config=${NEWSWATCH_CONFIG:-/etc/newswatch/newswatch.toml}
	for ((i = 1; i < COMP_CWORD - 1; i++)); do
		[[ ${COMP_WORDS[i]} == --config ]] && config=${COMP_WORDS[i + 1]}
	done
	config=${config/#\~/$HOME}

	case $prev in
	--config)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -X '!*.toml' -- "$cur"; compgen -d -- "$cur")
		return 0
		;;
	--dir)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return 0
		;;
	--format)
		mapfile -t COMPREPLY < <(compgen -W 'text json' -- "$cur")
		return 0
		;;
	--color)
		mapfile -t COMPREPLY < <(compgen -W 'auto always never' -- "$cur")
		return 0
		;;
	--topic)
		mapfile -t COMPREPLY < <(compgen -W "$(_newswatch_names "$config" topics)" -- "$cur")
		return 0
		;;
	--source)
		mapfile -t COMPREPLY < <(compgen -W "$(_newswatch_names "$config" sources)" -- "$cur")
		return 0
		;;
	--lang)
		mapfile -t COMPREPLY < <(compgen -W 'de en fr ru es it nl pl uk' -- "$cur")
		return 0
		;;
	--url | --content-type | --query | --since | --until | --limit | --offset | --min-chars | \
		--timeout)
		return 0 # a value the user types
		;;
	esac

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_newswatch_options "$prog" "$cmd" | sort -u)" -- "$cur")
		return 0
	fi
	case $cmd in
	parse-feed | extract | opml)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	esac
	return 0
}

complete -F _newswatch newswatch
