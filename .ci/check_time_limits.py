#!/usr/bin/env python3
"""Every test runs under a time limit, so a hang (a leaked permit, a wait that never ends) fails
the run instead of stalling CI.

A `@Test` is covered when its own traits hold a time limit, or when an enclosing suite's do: the
type it is declared in, that type's enclosing types, and for an `extension X` the suite `X` (and
its enclosing types), wherever `X` is declared. Swift Testing applies a suite's time limit to each
test inside it, nested suites included. A time limit is `.timeLimit(...)` or
`FreightTestSupport`'s `.budget(...)` (a time limit that grows in `make soak` and `make fuzz` and
allows for the wait for a thread); a bare `.timeLimit` outside the budget's own file is refused.

Usage: check_time_limits.py [PACKAGE_DIR]  exits 1 naming file:line of each test with no limit.
       check_time_limits.py --self-test     checks the checker on small samples.
"""
import os
import re
import sys

LIMIT = re.compile(r"\.\s*(?:timeLimit|budget)\s*\(")
TYPE_KEYWORDS = {"struct", "class", "enum", "actor", "extension", "protocol"}
NOT_A_NAME = {"func", "var", "let", "subscript", "init", "deinit", "case", "static", "final", "override"}
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
QUALIFIED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*")


def blank(text, start, end, out):
    """Comments and string literals become spaces (newlines kept, so line numbers hold)."""
    for k in range(start, end):
        if text[k] != "\n":
            out[k] = " "


def skip_string(text, i):
    """`text[i:]` starts a string literal (after any raw `#`s): the index just past it."""
    hashes = 0
    while text[i] == "#":
        hashes += 1
        i += 1
    multiline = text.startswith('"""', i)
    quote = '"""' if multiline else '"'
    close = quote + "#" * hashes
    escape = "\\" + "#" * hashes
    i += len(quote)
    while i < len(text):
        if text.startswith(escape, i):
            j = i + len(escape)
            if j < len(text) and text[j] == "(":
                i = skip_code(text, j + 1, ")")
            else:
                i = j + 1
            continue
        if text.startswith(close, i):
            return i + len(close)
        if text[i] == "\n" and not multiline:
            return i
        i += 1
    return i


def skip_code(text, i, closer):
    """Code up to the `closer` that balances (inside an interpolation): the index just past it."""
    depth = 0
    while i < len(text):
        c = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                return len(text)
            continue
        if text.startswith("/*", i):
            i = skip_block_comment(text, i)
            continue
        if c == '"' or (c == "#" and re.match(r'#+"', text[i:])):
            i = skip_string(text, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0 and c == closer:
                return i + 1
            depth -= 1
        i += 1
    return i


def skip_block_comment(text, i):
    depth = 0
    while i < len(text):
        if text.startswith("/*", i):
            depth += 1
            i += 2
        elif text.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return i


def strip(text):
    out = list(text)
    i = 0
    while i < len(text):
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
        elif text.startswith("/*", i):
            end = skip_block_comment(text, i)
        elif c == '"' or (c == "#" and re.match(r'#+"', text[i:i + 64])):
            end = skip_string(text, i)
        else:
            i += 1
            continue
        blank(text, i, end, out)
        i = end
    return "".join(out)


def balanced(code, i):
    """`code[i]` is `(`: the index just past its `)`."""
    depth = 0
    while i < len(code):
        if code[i] == "(":
            depth += 1
        elif code[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def scan(path, text):
    """Types declared (qualified name -> own limit, lexical parent or extended type) and tests
    (line, own limit, enclosing type's qualified name or None)."""
    code = strip(text)
    types, tests = [], []
    scopes = []  # (qualified type name or None for a non-type block)
    pending_type = None  # (keyword, name) waiting for its `{`
    pending_suite = False  # the last @Suite's limit, for the next type declared
    i = 0

    def line(at):
        return code.count("\n", 0, at) + 1

    def enclosing():
        for scope in reversed(scopes):
            if scope is not None:
                return scope
        return None

    while i < len(code):
        c = code[i]
        if c == "@":
            match = IDENTIFIER.match(code, i + 1)
            if not match:
                i += 1
                continue
            name, end = match.group(), match.end()
            arguments = ""
            rest = end
            while rest < len(code) and code[rest] in " \t":
                rest += 1
            if rest < len(code) and code[rest] == "(":
                close = balanced(code, rest)
                arguments, end = code[rest:close], close
            if name == "Test":
                tests.append((line(i), bool(LIMIT.search(arguments)), enclosing()))
            elif name == "Suite":
                pending_suite = bool(LIMIT.search(arguments))
            i = end
            continue
        if c == "{":
            if pending_type:
                keyword, name = pending_type
                outer = enclosing()
                if keyword == "extension":
                    qualified = name
                    parent = name.rsplit(".", 1)[0] if "." in name else None
                    types.append((qualified, False, parent, True))
                else:
                    qualified = f"{outer}.{name}" if outer else name
                    types.append((qualified, pending_suite, outer, False))
                scopes.append(qualified)
                pending_type, pending_suite = None, False
            else:
                scopes.append(None)
            i += 1
            continue
        if c == "}":
            if scopes:
                scopes.pop()
            i += 1
            continue
        match = IDENTIFIER.match(code, i)
        if match and (i == 0 or not (code[i - 1].isalnum() or code[i - 1] in "_.")):
            word = match.group()
            i = match.end()
            if word in TYPE_KEYWORDS:
                j = i
                while j < len(code) and code[j] in " \t\n":
                    j += 1
                name = QUALIFIED.match(code, j)
                if name and name.group() not in NOT_A_NAME:
                    pending_type = (word, re.sub(r"\s+", "", name.group()))
                    i = name.end()
                else:
                    pending_suite = False if word != "class" else pending_suite
            continue
        i += 1
    return types, tests


def check(files):
    """`files`: (path, text) pairs. Returns the uncovered tests as (path, line)."""
    own, parents, tests = {}, {}, []
    for path, text in files:
        types, found = scan(path, text)
        for qualified, limited, parent, is_extension in types:
            own[qualified] = own.get(qualified, False) or limited
            if not is_extension or qualified not in parents:
                parents.setdefault(qualified, set())
            if parent:
                parents[qualified].add(parent)
        tests.extend((path, number, limited, scope) for number, limited, scope in found)

    def covered(name, seen=()):
        if name is None or name in seen:
            return False
        if own.get(name):
            return True
        lineage = set(parents.get(name, ()))
        if "." in name:
            lineage.add(name.rsplit(".", 1)[0])
        return any(covered(parent, seen + (name,)) for parent in lineage)

    return [(path, number) for path, number, limited, scope in tests if not limited and not covered(scope)]


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    files = []
    for directory, _, names in os.walk(os.path.join(root, "Tests")):
        for name in sorted(names):
            if name.endswith(".swift"):
                full = os.path.join(directory, name)
                with open(full, encoding="utf-8") as source:
                    files.append((os.path.relpath(full, root), source.read()))
    total = sum(len(scan(path, text)[1]) for path, text in files)
    uncovered = check(files)
    for path, number in sorted(uncovered):
        print(f"{path}:{number}: @Test has no time limit: give it, or a suite around it, "
              f".budget(minutes: N)", file=sys.stderr)
    # A bare .timeLimit lacks the budget's allowance for the wait for a thread, and fails tests
    # that never hung when the suite runs in parallel.
    bare = [(path, text[:match.start()].count("\n") + 1) for path, text in files if not path.endswith("TimeBudget.swift")
            for match in re.finditer(r"\.\s*timeLimit\s*\(", text)]
    for path, number in bare:
        print(f"{path}:{number}: a bare .timeLimit: use .budget(minutes: N), which allows for the wait for a thread",
              file=sys.stderr)
    if uncovered or bare:
        print(f"{len(uncovered)} of {total} tests have no time limit, {len(bare)} bare .timeLimit", file=sys.stderr)
        return 1
    print(f"time limits: all {total} tests in {len(files)} files run under one")
    return 0


def self_test():
    samples = {
        "own trait": ('@Test("x", .timeLimit(.minutes(1))) func a() {}', []),
        "no trait": ('@Test("x") func a() {}', [1]),
        "budget": ("@Test(.budget(minutes: 2)) func a() {}", []),
        "suite": ('@Suite("s", .timeLimit(.minutes(1)))\nstruct S {\n  @Test func a() {}\n}', []),
        "suite without": ('@Suite("s", .serialized)\nstruct S {\n  @Test func a() {}\n}', [3]),
        "outer suite": ("@Suite(.timeLimit(.minutes(1))) struct O {\n  struct I {\n    @Test func a() {}\n  }\n}", []),
        "extension of a limited suite": ("extension O {\n  @Suite struct I {\n    @Test func a() {}\n  }\n}\n"
                                         "@Suite(.timeLimit(.minutes(3))) enum O {}", []),
        "extension of an unlimited suite": ("@Suite(.serialized) enum O {}\nextension O {\n  @Test func a() {}\n}", [3]),
        "dotted extension": ("@Suite(.timeLimit(.minutes(1))) enum O { struct I {} }\nextension O.I {\n  @Test func a() {}\n}", []),
        "limit only in a string": ('@Test("uses .timeLimit(") func a() {}', [1]),
        "limit only in a comment": ("// .timeLimit(.minutes(1))\n@Test func a() {}", [2]),
        "braces in strings": ('struct S {\n  let s = "}}\\("{")"\n  @Test func a() {}\n}\n@Suite(.timeLimit(.minutes(1))) struct T {}', [3]),
        "multi-line string": ('@Suite(.timeLimit(.minutes(1))) struct S {\n  let s = """\n  }\n  """\n  @Test func a() {}\n}', []),
        "sibling after a limited suite": ("@Suite(.timeLimit(.minutes(1))) struct S {}\nstruct T {\n  @Test func a() {}\n}", [3]),
        "arguments with a closure": ("@Suite(.timeLimit(.minutes(1))) struct S {\n"
                                     "  @Test(arguments: [1].map { $0 }) func a(x: Int) {}\n  @Test func b() {}\n}", []),
        "free function": ("@Test func a() {}\n@Test(.timeLimit(.minutes(1))) func b() {}", [1]),
    }
    failures = 0
    for name, (text, expected) in samples.items():
        found = [number for _, number in check([("sample.swift", text)])]
        if found != expected:
            failures += 1
            print(f"self-test {name!r}: expected uncovered lines {expected}, found {found}", file=sys.stderr)
    if failures:
        return 1
    print(f"check_time_limits self-test: {len(samples)} samples pass")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
