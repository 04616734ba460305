"""Agent authentication routes: login, logout, who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field

from chatflow.admin_api.auth import AuthService, Principal
from chatflow.admin_api.problems import ApiProblem

router = APIRouter(prefix="/api/v1", tags=["auth"])


class LoginBody(BaseModel):
    account: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class TokenOut(BaseModel):
    token: str


class MeOut(BaseModel):
    account: str
    merchant_id: str
    role: str
    nickname: str
    staff_no: str
    groups: dict[str, int]


def auth_service(request: Request) -> AuthService:
    service: AuthService = request.app.state.auth
    return service


def bearer(authorization: Annotated[str | None, Header()] = None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ApiProblem(401, "unauthorized", "send 'Authorization: Bearer <token>'")
    return authorization[7:].strip()


def current_agent(
    token: Annotated[str, Depends(bearer)],
    auth: Annotated[AuthService, Depends(auth_service)],
) -> Principal:
    principal = auth.resolve(token)
    if principal is None:
        raise ApiProblem(401, "unauthorized", "the token is invalid or has expired; log in again")
    return principal


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/auth/login", response_model=TokenOut)
def login(
    body: LoginBody, request: Request, auth: Annotated[AuthService, Depends(auth_service)]
) -> TokenOut:
    """Log in with account and password; the token goes in ``Authorization: Bearer``."""
    return TokenOut(token=auth.login(body.account, body.password, client_ip(request)))


@router.post("/auth/logout", status_code=204)
def logout(
    token: Annotated[str, Depends(bearer)], auth: Annotated[AuthService, Depends(auth_service)]
) -> None:
    """End this token (other sessions of the account stay logged in)."""
    auth.logout(token)


@router.get("/agents/me", response_model=MeOut)
def me(principal: Annotated[Principal, Depends(current_agent)]) -> MeOut:
    """The logged-in account."""
    return MeOut(
        account=principal.account,
        merchant_id=principal.merchant_id,
        role=principal.role,
        nickname=principal.nickname,
        staff_no=principal.staff_no,
        groups=principal.groups,
    )
