#!/usr/bin/env bash
# Install profile "arith": the core and the arith plugin alone.
source "$(dirname "$0")/lib/profile.sh"
build_profile profile-arith -e . -e plugins/arith
