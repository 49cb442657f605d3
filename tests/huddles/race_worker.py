"""One phone in its own OS process: log in, wait for the go signal, post one flag, print the
status. Used by test_two_phones.py to race two real processes on the same database.

    python tests/huddles/race_worker.py <db url> <email> <password> <url> <value> <reason>
        <version> <ready file> <go file>
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    db_url, email, password, url, value, reason, version, ready, go = sys.argv[1:10]
    from app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": db_url,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "race-worker-secret-key-that-is-long-enough-0123",
        }
    )
    client = app.test_client()
    login = client.post("/login", data={"email": email, "password": password})
    assert login.status_code == 303, login.status_code
    client.get("/")  # warm: the first request's imports and connections happen before the race
    Path(ready).touch()
    deadline = time.monotonic() + 60
    while not Path(go).exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.002)
    response = client.post(
        url,
        data={"value": value, "reason": reason, "version": version},
        headers={"HX-Request": "true"},
    )
    print(response.status_code, flush=True)


if __name__ == "__main__":
    main()
