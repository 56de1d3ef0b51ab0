"""Request and answer shapes of the accounts API (design.md §3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from plaza.accounts.service.friends import RequestView
from plaza.accounts.service.labels import LabelView
from plaza.validation import Text, Username


class Registration(BaseModel):
    username: Username
    password: Annotated[Text, Field(max_length=1024)]
    display_name: Annotated[Text, Field(max_length=256)]


class Credentials(BaseModel):
    username: Username
    password: Annotated[Text, Field(max_length=1024)]


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str


class ProfileOut(UserOut):
    role: str
    status: str
    created_at: datetime


class ProfileUpdate(BaseModel):
    display_name: Annotated[Text, Field(max_length=256)]


class SessionOut(BaseModel):
    token: str
    expires_at: datetime
    user: UserOut


class NewSession(BaseModel):
    token: str
    expires_at: datetime


class AccountOut(UserOut):
    """A new account, already signed in: registering costs one password hash, not two (a
    separate log-in would hash the password again)."""

    session: NewSession


class SessionInfoOut(BaseModel):
    """One of my open sessions (a device), for "my sessions"."""

    id: int
    created_at: datetime
    expires_at: datetime
    user_agent: str
    address: str
    current: bool


class SessionsEnded(BaseModel):
    ended: int


class PasswordChange(BaseModel):
    current_password: Annotated[Text, Field(max_length=1024)]
    new_password: Annotated[Text, Field(max_length=1024)]


class FriendRequestIn(BaseModel):
    to: Username
    message: Annotated[Text, Field(max_length=1000)] = ""


class FriendRequestOut(BaseModel):
    id: int
    # `from` is a Python keyword, hence the alias.
    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(alias="from")
    to: str
    message: str
    status: str
    created_at: datetime

    @classmethod
    def of(cls, view: RequestView) -> FriendRequestOut:
        return cls(
            id=view.request.id,
            from_=view.sender.username,
            to=view.recipient.username,
            message=view.request.message,
            status=view.request.status,
            created_at=view.request.created_at,
        )


class BlockIn(BaseModel):
    username: Username


class PersonOut(BaseModel):
    """A person as lists of others show them."""

    model_config = ConfigDict(from_attributes=True)

    username: str
    display_name: str


LABEL_MEMBERS_MAX = 5000
LabelName = Annotated[Text, Field(min_length=1, max_length=32)]


class LabelIn(BaseModel):
    name: LabelName
    members: Annotated[list[Username], Field(max_length=LABEL_MEMBERS_MAX)] = []


class LabelUpdate(BaseModel):
    """Only what is given changes; `members` replaces the whole list."""

    name: LabelName | None = None
    members: Annotated[list[Username], Field(max_length=LABEL_MEMBERS_MAX)] | None = None


class LabelOut(BaseModel):
    id: int
    name: str
    members: list[PersonOut]

    @classmethod
    def of(cls, view: LabelView) -> LabelOut:
        return cls(
            id=view.label.id,
            name=view.label.name,
            members=[PersonOut.model_validate(u) for u in view.members],
        )
