#!/usr/bin/env bash
# Install profile "core": the core alone (rest_verify, sandboxes, the built-in `exact` verifier); what a plugin author starts from.
source "$(dirname "$0")/lib/profile.sh"
build_profile profile-core -e .
