"""The ``/_emulator/...`` control API: JSON in, JSON out, no token needed.

Everything here is also a Python method on ``Emulator`` or one of its APIs, for tests
that run the emulator in-process; this is for tests, scripts and the CLI that talk to
an emulator in another process. The reference is in docs/emulator.md.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from .faults import FaultRule
from .http import ApiError, Request, Response, Route, route


def _bad(message: str) -> ApiError:
    return ApiError(400, message)


class ControlApi:
    name = "control"

    def __init__(self) -> None:
        self.emulator: Any = None

    def attach(self, emulator: Any) -> None:
        self.emulator = emulator

    def quota_group(self, route: Route, request: Request) -> str | None:
        return None

    def routes(self) -> list[Route]:
        e = r"/_emulator"
        form = e + r"/forms/(?P<form>[^/]+)"
        r = [
            ("GET", e + r"/health", "health", self._health),
            ("POST", e + r"/reset", "reset", self._reset),
            ("GET", e + r"/faults", "faults.list", self._faults_list),
            ("POST", e + r"/faults", "faults.add", self._faults_add),
            ("DELETE", e + r"/faults", "faults.clear", self._faults_clear),
            ("GET", e + r"/latency", "latency.get", self._latency),
            ("POST", e + r"/latency", "latency.set", self._latency),
            ("GET", e + r"/quota", "quota.get", self._quota),
            ("POST", e + r"/quota", "quota.set", self._quota),
            ("DELETE", e + r"/quota", "quota.reset", self._quota_reset),
            ("GET", e + r"/clock", "clock.get", self._clock),
            ("POST", e + r"/clock", "clock.set", self._clock),
            ("GET", e + r"/requests", "requests.list", self._requests),
            ("DELETE", e + r"/requests", "requests.clear", self._requests_clear),
            ("GET", e + r"/counters", "counters.get", self._counters),
            ("DELETE", e + r"/counters", "counters.reset", self._counters_reset),
            ("GET", e + r"/service-account", "oauth.serviceAccount", self._service_account),
            ("GET", e + r"/oauth/tokens", "oauth.tokens", self._tokens),
            ("POST", e + r"/oauth/clients", "oauth.clients", self._oauth_client),
            ("POST", e + r"/oauth/fail-next-refresh", "oauth.failNext", self._fail_refresh),
            ("POST", e + r"/oauth/expire-tokens", "oauth.expire", self._expire),
            ("POST", e + r"/oauth/delegation", "oauth.delegation", self._delegation),
            ("POST", e + r"/oauth/fail-next-grant", "oauth.failNextGrant", self._fail_grant),
            ("GET", e + r"/forms", "forms.list", self._forms_list),
            ("POST", e + r"/forms", "forms.load", self._forms_load),
            ("POST", form + r"/settings", "forms.settings", self._form_settings),
            ("GET", form + r"/responses", "forms.responses", self._responses),
            ("POST", form + r"/responses", "forms.submit", self._submit),
            ("PATCH", form + r"/responses/(?P<rid>[^/]+)", "forms.edit", self._edit),
            ("POST", form + r"/responses/(?P<rid>[^/]+)", "forms.edit", self._edit),
            ("GET", e + r"/gmail/sent", "gmail.sent", self._sent),
            ("DELETE", e + r"/gmail/sent", "gmail.clear", self._sent_clear),
            ("POST", e + r"/gmail/settings", "gmail.settings", self._gmail_settings),
        ]
        return [route(m, p, "emulator." + n, h, needs_auth=False) for m, p, n, h in r]

    # --- general -----------------------------------------------------------------------

    def _health(self, request: Request, match: re.Match[str]) -> Response:
        return Response(200, {"ok": True, "apis": [a.name for a in self.emulator.apis]})

    def _reset(self, request: Request, match: re.Match[str]) -> Response:
        self.emulator.reset()
        return Response(200, {})

    def _faults_list(self, request: Request, match: re.Match[str]) -> Response:
        return Response(200, {"rules": [r.to_json() for r in self.emulator.faults.rules()]})

    def _faults_add(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        given = body.get("rules", [body]) if isinstance(body, dict) else body
        try:
            rules = [FaultRule.from_json(r) for r in given]
        except (ValueError, TypeError, AttributeError) as exc:
            raise _bad(str(exc)) from exc
        for rule in rules:
            self.emulator.faults.add(rule)
        if isinstance(body, dict) and "seed" in body:
            self.emulator.faults.seed(int(body["seed"]))
        return self._faults_list(request, match)

    def _faults_clear(self, request: Request, match: re.Match[str]) -> Response:
        self.emulator.faults.clear()
        return Response(200, {"rules": []})

    def _latency(self, request: Request, match: re.Match[str]) -> Response:
        if request.method == "POST":
            self.emulator.latency = float(request.json().get("seconds", 0.0))
        return Response(200, {"seconds": self.emulator.latency})

    def _quota(self, request: Request, match: re.Match[str]) -> Response:
        quota = self.emulator.quota
        if request.method == "POST":
            body = request.json()
            if "enabled" in body:
                quota.enabled = bool(body["enabled"])
            try:
                for group, limit in (body.get("limits") or {}).items():
                    quota.set_limit(group, int(limit))
            except KeyError as exc:
                raise _bad(f"unknown quota group {exc}") from exc
        limits = {g: [q.limit for q in qs] for g, qs in quota.limits.items()}
        limits["gmail:send"] = [quota.gmail_daily_sends]
        return Response(200, {"enabled": quota.enabled, "limits": limits, "usage": quota.usage()})

    def _quota_reset(self, request: Request, match: re.Match[str]) -> Response:
        self.emulator.quota.reset()
        return self._quota(request, match)

    def _clock(self, request: Request, match: re.Match[str]) -> Response:
        clock = self.emulator.clock
        if request.method == "POST":
            body = request.json()
            if "offset" in body:
                clock.offset = float(body["offset"])
            clock.advance(float(body.get("advance", 0.0)))
        stamp = clock.utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return Response(200, {"now": stamp, "offset": clock.offset})

    def _requests(self, request: Request, match: re.Match[str]) -> Response:
        entries = self.emulator.requests(request.param("api"), request.param("method"))
        return Response(200, {"requests": [e.to_json() for e in entries]})

    def _requests_clear(self, request: Request, match: re.Match[str]) -> Response:
        self.emulator.log.clear()
        return Response(200, {"requests": []})

    def _counters(self, request: Request, match: re.Match[str]) -> Response:
        return Response(200, {"counters": self.emulator.counters()})

    def _counters_reset(self, request: Request, match: re.Match[str]) -> Response:
        self.emulator.reset_counters()
        return Response(200, {"counters": {}})

    # --- OAuth -------------------------------------------------------------------------

    def _service_account(self, request: Request, match: re.Match[str]) -> Response:
        return Response(200, self.emulator.service_account_info())

    def _tokens(self, request: Request, match: re.Match[str]) -> Response:
        tokens = [
            {
                "client": t.client,
                "user": t.user,
                "subject": t.subject,
                "scopes": sorted(t.scopes) if t.scopes is not None else None,
            }
            for t in self.emulator.oauth.issued
        ]
        return Response(200, {"tokens": tokens})

    def _oauth_client(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        try:
            self.emulator.oauth.register_user_client(
                str(body["client_id"]),
                str(body["client_secret"]),
                str(body["refresh_token"]),
                str(body["email"]),
                tuple(body.get("scopes", ())),
            )
        except KeyError as exc:
            raise _bad(f"missing {exc}") from exc
        return Response(200, {})

    def _fail_refresh(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        self.emulator.oauth.fail_next_refresh(
            str(body.get("error", "invalid_grant")),
            str(body.get("error_description", "Token has been expired or revoked.")),
        )
        return Response(200, {})

    def _delegation(self, request: Request, match: re.Match[str]) -> Response:
        """What the Workspace admin allows for domain-wide delegation: ``{"scopes": [...]}``
        (null: anything) for ``client_email`` (default: the emulator's service account)."""
        body = request.json()
        oauth = self.emulator.oauth
        client = str(body.get("client_email") or oauth.service_account.client_email)
        scopes = body.get("scopes")
        if scopes is not None and not isinstance(scopes, list):
            raise _bad("scopes must be a list of scope URLs or null")
        oauth.allow_delegation(client, None if scopes is None else [str(s) for s in scopes])
        return Response(200, {})

    def _fail_grant(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        try:
            self.emulator.oauth.fail_next_grant(
                str(body["error"]), str(body.get("error_description", "")), int(body["status"])
            )
        except (KeyError, ValueError) as exc:
            raise _bad(f"needs error and status: {exc}") from exc
        return Response(200, {})

    def _expire(self, request: Request, match: re.Match[str]) -> Response:
        self.emulator.oauth.expire_tokens()
        return Response(200, {})

    # --- Forms -------------------------------------------------------------------------

    def _forms(self) -> Any:
        if self.emulator.forms is None:
            raise ApiError(404, "this emulator has no Forms API")
        return self.emulator.forms

    def _forms_list(self, request: Request, match: re.Match[str]) -> Response:
        forms = self._forms()
        return Response(
            200,
            {
                "forms": [
                    {"formId": f, "responses": len(forms.state(f).responses)}
                    for f in forms.form_ids()
                ]
            },
        )

    def _forms_load(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        try:
            state = self._forms().load_form(body["form"], body.get("responses", []))
        except (KeyError, ValueError, TypeError) as exc:
            raise _bad(f"cannot load form: {exc}") from exc
        return Response(200, {"formId": state.form_id, "responses": len(state.responses)})

    def _form_settings(self, request: Request, match: re.Match[str]) -> Response:
        forms, body = self._forms(), request.json()
        try:
            if "order" in body:
                forms.set_order(match["form"], str(body["order"]))
            if "legacy" in body:
                forms.set_legacy(match["form"], bool(body["legacy"]))
            state = forms.state(match["form"])
        except KeyError as exc:
            raise ApiError(404, str(exc)) from exc
        except ValueError as exc:
            raise _bad(str(exc)) from exc
        return Response(
            200,
            {
                "order": state.order,
                "legacy": state.legacy,
                "publishState": forms.publish_state(match["form"]),
            },
        )

    def _responses(self, request: Request, match: re.Match[str]) -> Response:
        try:
            return Response(200, {"responses": self._forms().responses(match["form"])})
        except KeyError as exc:
            raise ApiError(404, str(exc)) from exc

    def _submit(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        given = body if isinstance(body, list) else body.get("responses", [])
        force = isinstance(body, dict) and bool(body.get("force", False))
        self._check_questions(
            match["form"], [r.get("answers") for r in given if isinstance(r, dict)]
        )
        try:
            added = self._forms().add_responses(match["form"], given, force=force)
        except KeyError as exc:
            raise ApiError(404, str(exc)) from exc
        except ValueError as exc:
            raise ApiError(409, str(exc), "FAILED_PRECONDITION") from exc
        return Response(200, {"responses": added})

    def _check_questions(self, form_id: str, answer_sets: list[Any]) -> None:
        """An answer to a question the form does not have would be stored under a made-up
        questionId and silently ignored by whatever reads it: refuse it, naming it."""
        try:
            known = self._forms().state(form_id).question_ids()
        except KeyError as exc:
            raise ApiError(404, str(exc)) from exc
        unknown = sorted(
            {
                str(key)
                for answers in answer_sets
                if isinstance(answers, dict)
                for key in answers
                if str(key) not in known
            }
        )
        if unknown:
            titles = sorted(k for k, v in known.items() if k != v)
            raise _bad(
                f"no question titled {', '.join(map(repr, unknown))} in form {form_id!r};"
                f" its questions: {', '.join(map(repr, titles))}"
            )

    def _edit(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        self._check_questions(match["form"], [body.get("answers") or {}])
        try:
            edited = self._forms().edit_response(
                match["form"],
                match["rid"],
                body.get("answers", {}),
                submitted_at=body.get("lastSubmittedTime"),
                replace=bool(body.get("replace", False)),
            )
        except KeyError as exc:
            raise ApiError(404, str(exc)) from exc
        except ValueError as exc:
            raise _bad(str(exc)) from exc
        return Response(200, edited)

    # --- Gmail -------------------------------------------------------------------------

    def _gmail(self) -> Any:
        if self.emulator.gmail is None:
            raise ApiError(404, "this emulator has no Gmail API")
        return self.emulator.gmail

    def _sent(self, request: Request, match: re.Match[str]) -> Response:
        out = []
        for m in self._gmail().sent(request.param("user")):
            out.append(
                {
                    "id": m.id,
                    "threadId": m.thread_id,
                    "user": m.owner,
                    "labelIds": m.label_ids,
                    "internalDate": str(m.internal_date),
                    "headers": {k: str(v) for k, v in m.message.items()},
                    "text": m.text(),
                    "raw": base64.urlsafe_b64encode(m.raw).decode("ascii"),
                }
            )
        return Response(200, {"messages": out})

    def _sent_clear(self, request: Request, match: re.Match[str]) -> Response:
        self._gmail().clear()
        return Response(200, {"messages": []})

    def _gmail_settings(self, request: Request, match: re.Match[str]) -> Response:
        gmail, body = self._gmail(), request.json()
        if "replace_message_id" in body:
            gmail.replace_message_id = bool(body["replace_message_id"])
        return Response(200, {"replace_message_id": gmail.replace_message_id})
