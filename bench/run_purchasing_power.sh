#!/usr/bin/env bash
# Purchasing power on real public data vs. peer libraries (see bench/purchasing_power_real_data.py).
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
python bench/purchasing_power_real_data.py "$@"
