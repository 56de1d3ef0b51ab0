"""Request and answer shapes of the accounts API (design.md §3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from plaza.accounts import policies
from plaza.accounts.models import User
from plaza.accounts.service.friends import RequestView
from plaza.accounts.service.labels import LabelView
from plaza.accounts.service.profiles import own_display_name
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


# What an author sees on their own item that moderation hides from others.
ModerationMark = Literal["held", "removed"] | None


class ProfileOut(UserOut):
    role: str
    status: str = Field(
        description="active, suspended or closed, as it applies now (a timed suspension whose "
        "end has passed is lifted)"
    )
    created_at: datetime

    @classmethod
    def of(cls, user: User, now: datetime) -> ProfileOut:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            status=policies.status_in_force(user.status, user.suspended_until, now),
            created_at=user.created_at,
        )


class MeOut(ProfileOut):
    """My own profile: my chosen display name (even while moderation hides it from others,
    who then see my username), and what restricts me now."""

    suspended_until: datetime | None = Field(
        None, description="While a timed suspension is in force: when it ends."
    )
    restricted_until: datetime | None = Field(
        None,
        description="While I may not publish moments, comments or articles: until when "
        "(chat still works).",
    )
    moderation: ModerationMark = Field(
        None,
        description="Set while moderation hides my display name from others: `held` (under "
        "review) or `removed`; others see my username instead.",
    )

    @classmethod
    def mine(cls, user: User, now: datetime) -> MeOut:
        profile = ProfileOut.of(user, now).model_dump()
        return cls(
            **{**profile, "display_name": own_display_name(user)},
            suspended_until=policies.suspension_in_force(user.status, user.suspended_until, now),
            restricted_until=policies.restriction_in_force(user.restricted_until, now),
            moderation=cast(ModerationMark, user.profile_moderation),
        )


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
