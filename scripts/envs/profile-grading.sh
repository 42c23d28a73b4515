#!/usr/bin/env bash
# Install profile "grading": grading only, the core and the math plugin; no torch, no pytest.
source "$(dirname "$0")/lib/profile.sh"
build_profile profile-grading -e . -e plugins/math
