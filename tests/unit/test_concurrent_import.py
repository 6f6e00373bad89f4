"""dbt runs Python models on several threads of one process: importing the ML package from two
threads at once, in a fresh interpreter, must work (scikit-learn's circular imports once broke it)."""

import subprocess
import sys

SCRIPT = """
import threading
errors = []
def load(name):
    try:
        __import__(name)
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=load, args=(name,)) for name in
           ("shopper_scores.ml.credit", "shopper_scores.ml.purchasing_power")]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert not errors, errors
"""


def test_two_threads_can_import_the_models_at_once():
    for _ in range(5):
        result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
