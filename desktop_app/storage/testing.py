"""Test doubles for storage, shipped with the package so every test suite can use them.

`MemoryKeyring` is a real `keyring` backend that keeps passwords in a dict, so tests exercise
the real keyring API without touching the OS keychain:

* in-process: `keyring.set_keyring(MemoryKeyring())`;
* in a subprocess: `PYTHON_KEYRING_BACKEND=desktop_app.storage.testing.MemoryKeyring`.

Never import this module from application code: keyring registers every backend class it
sees, and this one has a high priority.
"""

from __future__ import annotations

import threading

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

__all__ = ["MemoryKeyring"]


class MemoryKeyring(KeyringBackend):
    """A keyring backend backed by a dict, private to one instance.

    Attributes:
        passwords: The stored passwords by (service, username); tests may inspect it.
        calls: Names of the operations made, with the id of the thread that made each.
    """

    priority = 20

    def __init__(self) -> None:
        """Creates an empty keyring."""
        super().__init__()  # type: ignore[no-untyped-call]  # keyring leaves it untyped
        self.passwords: dict[tuple[str, str], str] = {}
        self.calls: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        """Returns the stored password, or None."""
        with self._lock:
            self.calls.append(("get", threading.get_ident()))
            return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Stores a password."""
        with self._lock:
            self.calls.append(("set", threading.get_ident()))
            self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Removes a password.

        Raises:
            PasswordDeleteError: When there is none, like the real backends.
        """
        with self._lock:
            self.calls.append(("delete", threading.get_ident()))
            if self.passwords.pop((service, username), None) is None:
                raise PasswordDeleteError(f"no password for {username!r} in {service!r}")
