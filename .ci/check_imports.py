#!/usr/bin/env python3
"""Every module a target imports is one it declares in Package.swift, and one the dependency rule
(the comment at the top of Package.swift) places before it.

A module reached only through another target's dependencies builds, but SwiftPM does not rebuild
the importer when that module changes: a changed class layout then leaves stale objects behind
(freightliner once crashed reading the HTTP client's request counts that way). `make test` runs
this before building. Toolchain modules (Foundation, Glibc, Testing, ...) need no declaration.

The rule, "Dependency rule (never backwards): C shims → A → B / C → ...", is read from the comment,
so the comment stays true: a library target may depend on (and import) only targets of an earlier
step, every library target must have a step, and "C shims" stands for the C targets.

Usage: check_imports.py [PACKAGE_DIR]; exits 1 naming each undeclared import and its file.
"""
import json
import os
import re
import subprocess
import sys

TOOLCHAIN = {
    "Foundation", "FoundationEssentials", "FoundationInternationalization", "FoundationNetworking", "FoundationXML",
    "Glibc", "Musl", "Darwin", "Dispatch", "Testing", "XCTest", "Synchronization", "_Concurrency", "Swift",
    "SwiftShims", "os", "PackageDescription", "PackagePlugin", "RegexBuilder", "Observation", "Distributed",
}
IMPORT = re.compile(r"^\s*(?:@[\w()]+\s+)*(?:@_exported\s+|@testable\s+|@preconcurrency\s+|@_implementationOnly\s+)*"
                    r"import\s+(?:(?:struct|class|enum|protocol|typealias|func|var|let)\s+)?([A-Za-z_][A-Za-z0-9_]*)")


RULE = re.compile(r"Dependency rule \(never backwards\):(.*?)\.(?:\s|$)")


def layers(root, package):
    """Each source target's step in the rule (C targets 0), or exits naming what does not fit."""
    with open(os.path.join(root, "Package.swift"), encoding="utf-8") as manifest:
        comments = " ".join(line.strip()[2:].strip() for line in manifest if line.strip().startswith("//"))
    match = RULE.search(comments)
    if not match:
        sys.exit("Package.swift: no \"Dependency rule (never backwards): ...\" comment to check against")
    steps = [[name.strip() for name in step.split("/")] for step in match.group(1).split("→")]
    c_targets = {t["name"] for t in package["targets"] if t["type"] == "system"
                 or (t["type"] == "regular" and t["name"].startswith("C") and t["name"][1:2].isupper())}
    layer = {}
    for index, step in enumerate(steps):
        for name in step:
            for target in (c_targets if name == "C shims" else [name]):
                layer[target] = index
    return layer


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    package = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True,
                                        capture_output=True, text=True).stdout)
    layer = layers(root, package)
    local = {t["name"] for t in package["targets"]}
    problems = []
    for target in package["targets"]:
        if target["type"] in ("regular", "executable") and target["name"] not in layer and not target.get("path", "").startswith("Tests"):
            problems.append(f"Package.swift: {target['name']} has no place in the dependency rule's comment")
        if target["type"] in ("system", "binary", "plugin"):
            continue
        declared = set()
        for dependency in target.get("dependencies", []):
            kind, value = next(iter(dependency.items()))
            declared.add(value[0])
        name = target["name"]
        for dependency in declared & local:
            if name in layer and layer.get(dependency, -1) >= layer[name]:
                problems.append(f"Package.swift: {name} depends on {dependency}, which the dependency rule places at or after it")
        path = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", name)
        for directory, _, files in os.walk(os.path.join(root, path)):
            for file in files:
                if not file.endswith(".swift"):
                    continue
                full = os.path.join(directory, file)
                with open(full, encoding="utf-8") as source:
                    in_string = False
                    for number, line in enumerate(source, 1):
                        # Lines of a multi-line string literal (a script a test writes) are not Swift.
                        quotes = line.count('"""')
                        if in_string or quotes:
                            if quotes % 2:
                                in_string = not in_string
                            continue
                        match = IMPORT.match(line)
                        if not match:
                            continue
                        module = match.group(1)
                        if name in layer and module in layer and layer[module] >= layer[name]:
                            problems.append(f"{os.path.relpath(full, root)}:{number}: {name} imports {module}, "
                                            f"which the dependency rule in Package.swift places at or after it")
                            continue
                        if module in TOOLCHAIN or module == name or module in declared:
                            continue
                        problems.append(f"{os.path.relpath(full, root)}:{number}: {name} imports {module}, "
                                        f"which its dependencies in Package.swift do not name")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s): declare each module where it is imported, and only ones the rule allows",
              file=sys.stderr)
        return 1
    print(f"imports: every module imported by the {len(package['targets'])} targets is declared, "
          f"and the {len(layer)} library targets follow the dependency rule")
    return 0


if __name__ == "__main__":
    sys.exit(main())
