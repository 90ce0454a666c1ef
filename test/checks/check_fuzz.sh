#!/usr/bin/env bash
#
# test/checks/check_fuzz.sh: the bounded run of the mutation fuzzer test/checks/fuzz.py
# (text, jsonb and binary input of gmm and gmm_stats, options of gmm_fit,
# gmm_train and gmm_stats_to_model) in the test command: GMM_FUZZ_SECONDS
# (default 100) seconds from the fixed seed GMM_FUZZ_SEED (default 1).  Fails
# on any crash, hang or accepted value that misbehaves.  For a long run:
#     /usr/bin/python3 test/checks/fuzz.py --long          (an hour; or --seconds N)
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec /usr/bin/python3 "$here/fuzz.py" --seconds "${GMM_FUZZ_SECONDS:-100}" --seed "${GMM_FUZZ_SEED:-1}"
