"""rolegate(1) and the bash, zsh and fish completions, kept honest against the binary.

The verbs are what `rolegate help` lists and the options what `rolegate VERB --help` prints (for every verb whose
--help answers), so a verb or option added to the binary and not to docs/rolegate.1 or contrib/completion/ fails
here. The man page must lint clean; the completion files must parse; and the completions are run for real: bash with
COMP_WORDS/COMP_CWORD, fish with `complete -C`, zsh through a pseudo-terminal (zpty) with compinit, all reading
profiles from temporary AWS config files. `make install DESTDIR=...` must put everything where the Makefile says.
"""
import filecmp
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

import rg

REPO = rg.REPO
BIN = rg.BIN
MAN = REPO / "docs" / "rolegate.1"
COMP = REPO / "contrib" / "completion"
BASH = COMP / "rolegate.bash"
ZSH = COMP / "_rolegate"
FISH = COMP / "rolegate.fish"

OPT_RE = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def run(cmd, **kw):
    kw.setdefault("timeout", 120)
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def need(tool):
    path = shutil.which(tool)
    assert path, f"{tool} is not installed (scripts/install-deps.sh test installs it)"
    return path


# ---- what the binary says ----------------------------------------------------------------------------------------

def help_verbs():
    p = run([str(BIN), "help"])
    assert p.returncode == 0, p.stderr
    verbs = re.findall(r"^  ([a-z][a-z0-9-]*)\s", p.stdout.split("verbs:", 1)[-1], re.M)
    assert "server" in verbs and "help" in verbs, f"cannot read the verbs of `rolegate help`:\n{p.stdout}"
    return verbs


def verb_help(verb):
    """The verb's --help text, or None when --help does not answer (exit status not 0)."""
    p = run([str(BIN), verb, "--help"], timeout=20)
    return p.stdout + p.stderr if p.returncode == 0 else None


def verb_options(verb):
    """{(subcommand or None): {--option, ...}} from `rolegate VERB --help`: an option belongs to the subcommand of
    the last usage line naming one ("rolegate keys rotate [--data DIR]"); lowercase words only, so
    "rolegate exec [OPTIONS] PROFILE" has none. Lines that name another verb ("see rolegate server --help") are
    about that verb and are skipped."""
    text = verb_help(verb)
    if text is None:
        return None
    out, sub = {}, None
    for line in text.splitlines():
        if any(w != verb for w in re.findall(r"\brolegate ([a-z][a-z0-9-]*)", line)):
            continue
        m = re.search(rf"\brolegate {re.escape(verb)}(?:\s+([a-z][a-z0-9-]*)\b)?", line)
        if m:
            sub = m.group(1)
        for opt in OPT_RE.findall(line):
            out.setdefault(sub, set()).add(opt)
    return out


@pytest.fixture(scope="module")
def verbs():
    return help_verbs()


@pytest.fixture(scope="module")
def options(verbs):
    """{verb: {sub: {options}}} for the verbs whose --help answers."""
    got = {}
    for v in verbs:
        o = verb_options(v)
        if o is not None:
            got[v] = o
    return got


def all_options(options, verb):
    return set().union(*options[verb].values()) if options[verb] else set()


# ---- the man page ------------------------------------------------------------------------------------------------

def man_text():
    """docs/rolegate.1 rendered to plain text, one very long line per paragraph (nothing hyphenated or broken)."""
    need("mandoc")
    p = run(["mandoc", "-T", "ascii", "-O", "width=1000", str(MAN)])
    assert p.returncode == 0, p.stderr
    return re.sub(r".\x08", "", p.stdout)


def man_sections():
    """{".SH name": [".SS names"]} of the source."""
    out, cur = {}, None
    for line in MAN.read_text().splitlines():
        m = re.match(r'\.(SH|SS)\s+"?([^"]*)"?\s*$', line)
        if not m:
            continue
        name = m.group(2).replace("\\-", "-").strip()
        if m.group(1) == "SH":
            cur = name
            out[cur] = []
        elif cur is not None:
            out[cur].append(name)
    return out


def has_token(text, token):
    return re.search(rf"(?<![\w-]){re.escape(token)}(?![\w-])", text) is not None


def test_man_page_lints_clean():
    need("mandoc")
    p = run(["mandoc", "-T", "lint", "-W", "warning", str(MAN)])
    assert p.returncode == 0 and not (p.stdout + p.stderr).strip(), p.stdout + p.stderr
    if shutil.which("groff"):
        p = run(["groff", "-man", "-ww", "-z", str(MAN)])
        assert p.returncode == 0 and not (p.stdout + p.stderr).strip(), p.stdout + p.stderr


def test_lint_catches_a_broken_page(tmp_path):
    # the check above can fail: the same command on a page with a bogus macro and a missing section reports it
    bad = tmp_path / "bad.1"
    bad.write_text('.TH BAD 1\n.SH NAME\nbad \\- a page\n.BOGUS macro\n.SH DESCRIPTION\n.IP\n')
    p = run(["mandoc", "-T", "lint", "-W", "warning", str(bad)])
    assert p.returncode != 0 and "BOGUS" in p.stdout + p.stderr


def test_man_page_has_the_sections():
    secs = man_sections()
    for s in ["NAME", "SYNOPSIS", "DESCRIPTION", "VERBS", "OPTIONS", "CONFIGURATION", "ENVIRONMENT", "FILES",
              "EXIT STATUS", "EXAMPLES", "SEE ALSO"]:
        assert s in secs, f"rolegate(1) has no {s} section"
    text = man_text()
    assert "rolegate server --listen 127.0.0.1:8600 --data ./data --example seed" in text
    assert "rolegate exec anay-prod -- terraform apply" in text
    assert re.search(r"credential_process = rolegate credential-process \S+", text)
    assert has_token(text.split("SEE ALSO", 1)[1], "aws(1)")


def test_every_verb_is_in_the_man_page(verbs):
    documented = man_sections()["VERBS"]
    text = man_text()
    synopsis = text.split("SYNOPSIS", 1)[1].split("DESCRIPTION", 1)[0]
    for v in verbs:
        assert v in documented, f"rolegate(1) VERBS has no subsection for '{v}' (it has {documented})"
        assert re.search(rf"^\s*rolegate {re.escape(v)}(\s|$)", synopsis, re.M), f"'{v}' is not in the SYNOPSIS"


def test_every_verb_in_the_man_page_exists(verbs):
    extra = [v for v in man_sections()["VERBS"] if v not in verbs]
    assert not extra, f"rolegate(1) documents verbs that `rolegate help` does not list: {extra}"


def test_every_option_is_in_the_man_page(options):
    text = man_text()
    missing = sorted(f"{v} {o}" for v in options for o in all_options(options, v) if not has_token(text, o))
    assert not missing, f"options of `rolegate VERB --help` missing from rolegate(1): {missing}"


# ---- the completion files, as text -------------------------------------------------------------------------------

def test_completions_parse():
    p = run(["bash", "-n", str(BASH)])
    assert p.returncode == 0 and not p.stderr, p.stderr
    p = run([need("zsh"), "-n", str(ZSH)])
    assert p.returncode == 0 and not p.stderr, p.stderr
    p = run([need("fish"), "-n", str(FISH)])
    assert p.returncode == 0 and not p.stderr, p.stderr


def fish_has_option(text, opt):
    name = opt[2:]
    return re.search(rf"(?:^|\s)(?:-l|--long)\s+'?{re.escape(name)}'?(?![\w-])", text, re.M) is not None


@pytest.mark.parametrize("path", [BASH, ZSH, FISH], ids=["bash", "zsh", "fish"])
def test_every_verb_and_option_is_in_the_completion_file(path, verbs, options):
    text = path.read_text()
    missing = [v for v in verbs if not has_token(text, v)]
    for v in options:
        for o in sorted(all_options(options, v)):
            if not (fish_has_option(text, o) if path == FISH else has_token(text, o)):
                missing.append(f"{v} {o}")
    assert not missing, f"{path.name} lacks: {missing}"


# ---- the completions, run ----------------------------------------------------------------------------------------

PROFILES = {"default", "dev", "ops"}


@pytest.fixture
def aws_env(tmp_path):
    """A temporary HOME with ~/.aws/config ([default], [profile dev], and sections that are no profiles) and
    ~/.aws/credentials ([ops], [DEFAULT]); AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name them; a PATH
    directory with the command rgtestcmd."""
    home = tmp_path / "home"
    aws = home / ".aws"
    aws.mkdir(parents=True)
    (aws / "config").write_text(
        "[default]\nregion = us-east-1\n\n[profile dev]\nrole_arn = arn:aws:iam::111111111111:role/admin\n"
        "source_profile = ops\n\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:8600\n\n"
        "[sso-session corp]\nsso_region = us-east-1\n\n[profile two words]\nregion = x\n")
    (aws / "credentials").write_text(
        "[DEFAULT]\nregion = us-east-1\n\n[ops]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    cmd = bindir / "rgtestcmd"
    cmd.write_text("#!/bin/sh\n")
    cmd.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "XDG_", "BASH_", "ZDOTDIR", "fish_"))}
    env.update(HOME=str(home), AWS_CONFIG_FILE=str(aws / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(aws / "credentials"),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               XDG_CACHE_HOME=str(home / ".cache"), PATH=f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
               TERM="dumb")
    return env


def bash_complete(env, line):
    """COMPREPLY for the command line `line` (the cursor at its end), through the function that
    `complete -p rolegate` names after sourcing the file."""
    words = line.split(" ")
    script = r'''
source "$1"; shift
spec=$(complete -p rolegate) || exit 3
func=$(sed -n 's/.* -F \([^ ]*\) .*/\1/p' <<<"$spec")
[ -n "$func" ] || exit 4
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
"$func" rolegate "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''
    p = run(["bash", "--norc", "--noprofile", "-c", script, "bash", str(BASH), *words], env=env, timeout=30)
    assert p.returncode == 0, f"bash completion of {line!r} failed ({p.returncode}): {p.stderr}"
    return [w for w in p.stdout.split("\n") if w]


def fish_complete(env, line):
    p = run([need("fish"), "-c", "source $argv[1]; complete -C $argv[2]", str(FISH), line], env=env, timeout=30)
    assert p.returncode == 0, f"fish completion of {line!r} failed: {p.stderr}"
    return [w.split("\t", 1)[0] for w in p.stdout.split("\n") if w]


ZSH_INIT = r"""
PROMPT='' RPROMPT=''
fpath=($RG_COMPDIR $fpath)
autoload -Uz compinit
compinit -u -C -d $RG_DUMP    # one dump for the module: compinit without it takes a second
# Every candidate that completion would offer, printed instead of shown.
compadd () {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "$@"
    return $?
  fi
  typeset -a __hits
  builtin compadd -A __hits "$@"
  (( $#__hits )) || return
  local h
  for h in $__hits; do print -r -- "<C>$h</C>"; done
}
zstyle ':completion:*' insert-tab false
finish () { zle kill-whole-line; print -r -- '<END>'; }
zle -N finish
bindkey '^X' finish
print -r -- '<READY>'
"""

ZSH_DRIVER = r"""
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z "source $RG_INIT"
zpty -r -m z out '*<READY>*' || exit 3
zpty -w -n z "$1"$'\t\C-X'
zpty -r -m z out '*<END>*' || exit 4
print -r -- "$out"
zpty -d z
"""


def zsh_complete(env, line, zsh_dir):
    init, driver = zsh_dir / "zsh-init.zsh", zsh_dir / "zsh-driver.zsh"
    if not init.exists():
        init.write_text(ZSH_INIT)
        driver.write_text(ZSH_DRIVER)
    env = dict(env, RG_COMPDIR=str(COMP), RG_INIT=str(init), RG_DUMP=str(zsh_dir / "zcompdump"))
    p = run([need("zsh"), "-f", str(driver), line], env=env, timeout=30)
    assert p.returncode == 0, f"zsh completion of {line!r} failed ({p.returncode}): {p.stdout}{p.stderr}"
    return [re.sub(r"\\(.)", r"\1", h) for h in re.findall(r"<C>(.*?)</C>", p.stdout)]


@pytest.fixture(scope="module")
def zsh_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("zsh")


@pytest.fixture(params=["bash", "zsh", "fish"])
def complete(request, aws_env, zsh_dir):
    shell = request.param
    if shell == "bash":
        return lambda line: bash_complete(aws_env, line)
    if shell == "zsh":
        return lambda line: zsh_complete(aws_env, line, zsh_dir)
    return lambda line: fish_complete(aws_env, line)


def test_completes_verbs(complete, verbs):
    assert sorted(complete("rolegate ex")) == ["exec", "export"]
    offered = set(complete("rolegate "))
    missing = [v for v in verbs if v not in offered]
    assert not missing, f"`rolegate <TAB>` does not offer {missing} (offers {sorted(offered)})"


def test_completes_profiles_from_the_aws_files(complete):
    assert set(complete("rolegate exec ")) == PROFILES
    assert set(complete("rolegate exec --region us-west-2 ")) == PROFILES
    assert set(complete("rolegate whoami d")) == {"default", "dev"}
    # after the profile, no second one
    assert not PROFILES & set(complete("rolegate exec dev "))


def test_profiles_from_the_default_files(aws_env):
    # without AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE: ~/.aws/config and ~/.aws/credentials
    env = {k: v for k, v in aws_env.items() if k not in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")}
    assert set(bash_complete(env, "rolegate env ")) == PROFILES
    assert set(fish_complete(env, "rolegate env ")) == PROFILES
    # a variable set to another file replaces the default
    other = Path(aws_env["HOME"]) / "other-config"
    other.write_text("[profile elsewhere]\n")
    env["AWS_CONFIG_FILE"] = str(other)
    assert set(bash_complete(env, "rolegate env ")) == {"elsewhere", "ops"}
    assert set(fish_complete(env, "rolegate env ")) == {"elsewhere", "ops"}


def test_completes_format(complete):
    assert set(complete("rolegate env dev --format ")) == {"sh", "fish", "json"}
    assert set(complete("rolegate env dev --format j")) == {"json"}


def test_completes_a_command_after_dashdash(complete):
    assert "rgtestcmd" in complete("rolegate exec dev -- rgtestc")
    assert "rgtestcmd" in complete("rolegate serve-credentials --port 9000 dev -- rgtestc")
    assert not PROFILES & set(complete("rolegate exec dev -- d"))


def options_line(verb, sub):
    return f"rolegate {verb} {sub} --" if sub else f"rolegate {verb} --"


def test_completes_every_option_of_every_verb(complete, options):
    missing = []
    for verb, subs in options.items():
        for sub, opts in subs.items():
            offered = set(complete(options_line(verb, sub)))
            missing += [f"{options_line(verb, sub)} {o}" for o in sorted(opts) if o not in offered]
    assert not missing, f"options not offered: {missing}"


# ---- make install ------------------------------------------------------------------------------------------------

INSTALLED = {
    "bin/rolegate": (REPO / "build" / "rolegate", 0o755),
    "share/man/man1/rolegate.1": (MAN, 0o644),
    "share/bash-completion/completions/rolegate": (BASH, 0o644),
    "share/zsh/site-functions/_rolegate": (ZSH, 0o644),
    "share/fish/vendor_completions.d/rolegate.fish": (FISH, 0o644),
}


def make_env():
    # not the jobserver of a `make test` that may be running this
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}


def check_tree(root, prefix):
    for rel, (src, mode) in INSTALLED.items():
        dst = root / prefix.lstrip("/") / rel
        assert dst.is_file(), f"make install did not write {dst}"
        assert filecmp.cmp(dst, src, shallow=False), f"{dst} is not {src}"
        assert stat.S_IMODE(dst.stat().st_mode) == mode, f"{dst}: mode {oct(dst.stat().st_mode)}"
    found = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert found == sorted(f"{prefix.lstrip('/')}/{rel}" for rel in INSTALLED), found


def test_make_install(tmp_path):
    stage = tmp_path / "stage"
    p = run(["make", "-j4", "install", f"DESTDIR={stage}"], cwd=REPO, env=make_env(), timeout=900)
    assert p.returncode == 0, p.stdout + p.stderr
    check_tree(stage, "/usr/local")
    # PREFIX moves everything; the installed binary runs
    other = tmp_path / "other"
    p = run(["make", "-f", "build.mk", "install", f"DESTDIR={other}", "PREFIX=/usr"], cwd=REPO, env=make_env())
    assert p.returncode == 0, p.stdout + p.stderr
    check_tree(other, "/usr")
    p = run([str(other / "usr/bin/rolegate"), "version"])
    assert p.returncode == 0 and p.stdout.startswith("rolegate "), p.stdout + p.stderr
