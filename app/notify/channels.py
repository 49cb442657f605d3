"""Delivery channels. Each ``send`` returns a provider reference or raises ``DeliveryError``."""

import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol


class Sendable(Protocol):
    """What a channel reads from a message (a claimed outbox row)."""

    id: int
    address: str
    subject: str
    body: str


class DeliveryError(Exception):
    """Sending failed; ``permanent`` means retrying cannot help (e.g. a malformed address)."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    def send(self, message: Sendable) -> str: ...


def send_timeout(config: dict) -> float:
    """Seconds a channel waits on the network per step (connect, read): a hung provider costs
    one sender thread this long, never the ladder."""
    return float(config.get("OUTBOX_SEND_TIMEOUT_SECONDS") or 10)


class SmtpEmail:
    """Email over SMTP (an NHSmail relay, a Trust relay, or a local test server)."""

    def __init__(self, config: dict):
        self.host = config["SMTP_HOST"]
        self.port = int(config.get("SMTP_PORT") or 25)
        self.username = config.get("SMTP_USERNAME") or ""
        self.password = config.get("SMTP_PASSWORD") or ""
        self.starttls = bool(config.get("SMTP_STARTTLS"))
        self.sender = config.get("SMTP_FROM") or "waypoint@localhost"
        self.timeout = float(config.get("SMTP_TIMEOUT") or send_timeout(config))

    def send(self, message: Sendable) -> str:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.address
        email["Subject"] = message.subject or "Waypoint alert"
        email["Message-ID"] = f"<waypoint-outbox-{message.id}@waypoint>"
        email.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError(f"recipient refused: {error}", permanent=True) from error
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"smtp: {type(error).__name__}: {error}") from error
        if refused:
            raise DeliveryError(f"recipient refused: {refused}", permanent=True)
        return email["Message-ID"]


class NotifyChannel:
    """SMS or email through GOV.UK Notify's official client; one template carries our text."""

    def __init__(self, config: dict, kind: str):
        from notifications_python_client.notifications import NotificationsAPIClient

        base_url = config.get("NOTIFY_BASE_URL") or "https://api.notifications.service.gov.uk"
        self.client = NotificationsAPIClient(
            config["NOTIFY_API_KEY"], base_url=base_url, timeout=send_timeout(config)
        )
        self.kind = kind
        self.template_id = config[
            "NOTIFY_SMS_TEMPLATE_ID" if kind == "sms" else "NOTIFY_EMAIL_TEMPLATE_ID"
        ]

    def send(self, message: Sendable) -> str:
        from notifications_python_client.errors import APIError

        # Stable per message: a resend after a crash carries the same reference, so Notify's
        # records show a duplicate for what it is.
        reference = f"waypoint-outbox-{message.id}"
        try:
            if self.kind == "sms":
                response = self.client.send_sms_notification(
                    phone_number=message.address,
                    template_id=self.template_id,
                    personalisation={"body": message.body},
                    reference=reference,
                )
            else:
                response = self.client.send_email_notification(
                    email_address=message.address,
                    template_id=self.template_id,
                    personalisation={"subject": message.subject, "body": message.body},
                    reference=reference,
                )
        except APIError as error:
            status = getattr(error, "status_code", 500) or 500
            # 400 and 403 will fail the same way again; 429 and 5xx are worth retrying.
            raise DeliveryError(
                f"notify {status}: {error}", permanent=status in (400, 403)
            ) from error
        except Exception as error:  # requests' connection errors and timeouts
            raise DeliveryError(f"notify: {type(error).__name__}: {error}") from error
        return str(response.get("id", ""))


def _notify_kinds(config: dict) -> set[str]:
    if not config.get("NOTIFY_API_KEY"):
        return set()
    kinds = {"sms"} if config.get("NOTIFY_SMS_TEMPLATE_ID") else set()
    return kinds | ({"email"} if config.get("NOTIFY_EMAIL_TEMPLATE_ID") else set())


def addresses(person, channels: set[str]) -> list[tuple[str, str]]:
    """The (channel, address) pairs a person (anything with ``phone`` and ``email``) can be
    reached on, among the channels this install can send."""
    pairs = [("sms", person.phone), ("email", person.email)]
    return [(channel, address) for channel, address in pairs if channel in channels and address]


def available_channels(config: dict) -> set[str]:
    """Which of sms and email this install can send (the in-app board always works)."""
    kinds = _notify_kinds(config)
    return kinds | ({"email"} if config.get("SMTP_HOST") else set())


def channels_from_config(config: dict) -> dict[str, Channel]:
    """The senders: Notify for SMS; Notify for email when it has a template, else SMTP."""
    kinds = _notify_kinds(config)
    channels: dict[str, Channel] = {kind: NotifyChannel(config, kind) for kind in kinds}
    if "email" not in channels and config.get("SMTP_HOST"):
        channels["email"] = SmtpEmail(config)
    return channels
