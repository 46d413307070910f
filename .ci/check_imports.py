#!/usr/bin/env python3
"""Every module a target imports is one it declares in Package.swift.

A module reached only through another target's dependencies builds, but SwiftPM does not rebuild
the importer when that module changes: a changed class layout then leaves stale objects behind
(freightliner once crashed reading the HTTP client's request counts that way). `make test` runs
this before building. Toolchain modules (Foundation, Glibc, Testing, ...) need no declaration.

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


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    package = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True,
                                        capture_output=True, text=True).stdout)
    problems = []
    for target in package["targets"]:
        if target["type"] in ("system", "binary", "plugin"):
            continue
        declared = set()
        for dependency in target.get("dependencies", []):
            kind, value = next(iter(dependency.items()))
            declared.add(value[0])
        name = target["name"]
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
                        if module in TOOLCHAIN or module == name or module in declared:
                            continue
                        problems.append(f"{os.path.relpath(full, root)}:{number}: {name} imports {module}, "
                                        f"which its dependencies in Package.swift do not name")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} undeclared import(s): declare each module where it is imported", file=sys.stderr)
        return 1
    print(f"imports: every module imported by the {len(package['targets'])} targets is declared")
    return 0


if __name__ == "__main__":
    sys.exit(main())
