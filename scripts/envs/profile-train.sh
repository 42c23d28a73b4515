#!/usr/bin/env bash
# Install profile "train": training on CPU: torch==2.13.0 pinned first, then the [train] extra and every in-repo plugin.
source "$(dirname "$0")/lib/profile.sh"
build_profile profile-train -r requirements-cpu.txt
