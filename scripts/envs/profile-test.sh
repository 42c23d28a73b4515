#!/usr/bin/env bash
# Install profile "test": what the test suite needs: the training profile plus the [test] extra.
source "$(dirname "$0")/lib/profile.sh"
build_profile profile-test -r requirements-dev.txt
