#!/usr/bin/env bash
# Install profile "apps": the core and the apps plugin alone.
source "$(dirname "$0")/lib/profile.sh"
build_profile profile-apps -e . -e plugins/apps
