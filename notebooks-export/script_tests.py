"""The runner of the notebooks-export test scripts: every test_* function of a module, each in a
fresh temporary folder, every failure reported before the script fails."""
import sys
import tempfile


def run(namespace, label, only=None, verbose=False):
    passed = failed = 0
    for name, test in sorted((k, v) for k, v in namespace.items() if k.startswith("test_") and callable(v)):
        if only and only not in name:
            continue
        with tempfile.TemporaryDirectory() as folder:
            try:
                test(folder)
                passed += 1
                if verbose:
                    print(f"ok {name}")
            except Exception as error:  # report every failure, then fail
                failed += 1
                print(f"FAILED {name}: {type(error).__name__}: {error}")
    print(f"{label}: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
