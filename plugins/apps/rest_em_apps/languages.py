"""The languages this plugin registers through `register_languages`, and the harness's own command.

A program in a language with `in_process=False` is run per test by `execve`-ing its `run` command inside
the harness's child (same stdin/stdout plumbing, limits and deadlines). A language with a compile step
is compiled once per submission inside the sandbox, under its own time and memory limits, before any
test runs. Python is run faster: the harness's already-started interpreter forks and executes the
compiled program itself, and only Python can be call-based (import the solution, call `fn_name`).
"""

from __future__ import annotations

from rest_verify.languages import CompileStep, Language

PYTHON = Language("python", "solution.py", ("python3", "-I", "solution.py"),
                  fences=("python", "py", "python3", "py3"), packages=("python3",),
                  version_command=("python3", "--version"), in_process=True)

# The usual competitive-programming build: GNU C++17, optimised, no temporary files (-pipe).
CPP = Language("cpp", "solution.cpp", ("./solution",), fences=("cpp", "c++", "cxx", "cc"), packages=("g++",),
               version_command=("g++", "--version"),
               compile=CompileStep(("g++", "-std=gnu++17", "-O2", "-pipe", "-o", "solution", "solution.cpp")))

# The JVM: the serial collector (one CPU per sandbox) and no shared-memory perf file; the heap may take
# 60% of the container's memory, whose cgroup bounds it (a JVM reserves far more address space than it
# uses, so no RLIMIT_AS); deep recursion gets a 64 MiB main-thread stack. The public class must be Main.
JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:-UsePerfData", "-XX:MaxRAMPercentage=60", "-Xss64m")
JAVA = Language("java", "Main.java", ("java", *JVM_FLAGS, "-cp", ".", "Main"), fences=("java",),
                packages=("openjdk-17-jdk-headless",), version_command=("javac", "-version"),
                compile=CompileStep(("javac", *(f"-J{flag}" for flag in JVM_FLAGS[:3]), "-encoding", "UTF-8",
                                     "-nowarn", "Main.java"), seconds=30.0, memory_mb=1024),
                memory_mb=1024, limit_address_space=False)

# Node: `--check` parses without running, so a syntax error is a compile error, as in other languages.
JAVASCRIPT = Language("javascript", "solution.js", ("node", "solution.js"), fences=("javascript", "js", "node"),
                      aliases=("nodejs",), packages=("nodejs",), version_command=("node", "--version"),
                      compile=CompileStep(("node", "--check", "solution.js"), seconds=10.0, memory_mb=512),
                      limit_address_space=False)

# Go builds need a home, a GOPATH and a build cache: all in the work dir. Outside modules (one file, no
# go.mod), without cgo (no C compiler run), one thread of parallelism like the sandbox's one CPU.
GO = Language("go", "solution.go", ("./solution",), fences=("go", "golang"), packages=("golang-go",),
              version_command=("go", "version"),
              compile=CompileStep(("go", "build", "-o", "solution", "solution.go"), seconds=30.0, memory_mb=1024),
              environment={"HOME": "{workdir}", "GOPATH": "{workdir}/.go", "GOCACHE": "{workdir}/.cache/go-build",
                           "GO111MODULE": "off", "CGO_ENABLED": "0", "GOMAXPROCS": "1"},
              limit_address_space=False)

# rustc alone (no cargo: no crates, nothing to download); LLVM needs more than the default compiler memory.
# Without the standard library's debug information a binary is some 0.5 MB instead of 11: far from the
# sandbox's 16 MiB file-size limit and its 64 MiB work dir.
RUST = Language("rust", "solution.rs", ("./solution",), fences=("rust", "rs"), packages=("rustc",),
                version_command=("rustc", "--version"),
                compile=CompileStep(("rustc", "--edition", "2021", "-O", "-C", "strip=debuginfo", "-o", "solution",
                                     "solution.rs"), seconds=30.0, memory_mb=1536))

BUILTIN_LANGUAGES = (PYTHON, CPP, JAVA, JAVASCRIPT, GO, RUST)

# Starts the harness inside the sandbox; the harness itself is always Python.
HARNESS_FILE = "harness.py"
JOB_FILE = "job.json"
HARNESS_ARGV = ("python3", "-I", HARNESS_FILE, JOB_FILE)
