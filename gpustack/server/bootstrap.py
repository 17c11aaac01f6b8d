"""First-start state: the admin account, the cluster token and the session signing secret."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.users import User
from gpustack.server.security.passwords import PasswordHashing, generate_password

ADMIN_USERNAME = "admin"
PASSWORD_FILE = "initial_admin_password"


def write_secret_file(path: Path, value: str) -> None:
    """Create (or replace) a file readable only by its owner."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    os.chmod(path, 0o600)


def read_or_create_secret(path: Path, nbytes: int = 32) -> str:
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_hex(nbytes)
    write_secret_file(path, value)
    return value


async def ensure_admin(
    sessions: async_sessionmaker[AsyncSession],
    passwords: PasswordHashing,
    data_dir: Path,
    bootstrap_password: str | None,
) -> bool:
    """Create `admin` on first start; True when it was created now."""
    async with sessions() as session:
        if (await session.exec(select(User).where(User.username == ADMIN_USERNAME))).first():
            return False
        password = bootstrap_password or generate_password()
        if not bootstrap_password:
            write_secret_file(data_dir / PASSWORD_FILE, password)
        session.add(
            User(
                username=ADMIN_USERNAME,
                full_name="Default system admin",
                is_admin=True,
                hashed_password=await passwords.hash(password),
                # A generated password was written to disk: it must not stay in use.
                require_password_change=not bootstrap_password,
            )
        )
        await session.commit()
        return True


async def reset_admin_password(
    sessions: async_sessionmaker[AsyncSession], passwords: PasswordHashing, data_dir: Path
) -> str:
    """A new random admin password, written to the password file; must be changed at login."""
    password = generate_password()
    async with sessions() as session:
        admin = (await session.exec(select(User).where(User.username == ADMIN_USERNAME))).first()
        if admin is None:
            raise LookupError("no admin user in this database: start the server once first")
        admin.hashed_password = await passwords.hash(password)
        admin.require_password_change = True
        admin.is_active = True
        # Ends the admin's sessions (a running server sees it once its user cache is dropped).
        admin.session_generation += 1
        session.add(admin)
        await session.commit()
    write_secret_file(data_dir / PASSWORD_FILE, password)
    return password
