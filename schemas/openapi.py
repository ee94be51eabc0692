"""The API's endpoint table and the OpenAPI 3.1 document built from it.

`ENDPOINTS` is the single description of /api/v1: the web layer binds a handler to each `operation_id`, and
`build_document()` turns the same table and the wire models into `schemas/openapi.json` (checked in; a test fails
when it is stale). Regenerate with `python -m schemas.openapi`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from schemas import api

VERSION = "1"
DOCUMENT_PATH = Path(__file__).parent / "openapi.json"


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "path" or "query"
    description: str
    schema_type: str = "string"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    response: type[BaseModel] | None = None
    request: type[BaseModel] | None = None
    status: int = 200
    auth: bool = False
    params: tuple[Param, ...] = field(default_factory=tuple)


SLUG = Param("slug", "path", "The organization's or forum's URL name.")
THREAD = Param("thread_id", "path", "The thread's number.", "integer")
POST = Param("post_id", "path", "The post's number.", "integer")
CURSOR = Param("cursor", "query", "The `next` value of the previous page.")
USERNAME = Param("username", "path", "A member's username.")
ACTION = Param("action_id", "path", "The moderation decision's number.", "integer")
APPEAL = Param("appeal_id", "path", "The appeal's number.", "integer")
BUDGET = Param("slug", "path", "The budget process's URL name.")

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/api/v1/me", "getMe", "The account making the request.", "accounts", api.Me, auth=True),
    Endpoint("GET", "/api/v1/account/data", "getAccountData",
             "Everything this node holds about you, as one document (Ley 29733: right of access).", "accounts",
             api.AccountData, auth=True),
    Endpoint("GET", "/api/v1/organizations", "listOrganizations", "Organizations, alphabetically.", "organizations",
             api.Page[api.Organization], params=(CURSOR,)),
    Endpoint("POST", "/api/v1/organizations", "createOrganization", "Found an organization (you become its owner).",
             "organizations", api.Organization, api.OrganizationIn, status=201, auth=True),
    Endpoint("GET", "/api/v1/organizations/{slug}", "getOrganization", "One organization.", "organizations",
             api.Organization, params=(SLUG,)),
    Endpoint("GET", "/api/v1/organizations/{slug}/members", "listMembers",
             "Members you may see (members see all; others see those who chose to be listed).", "organizations",
             api.Page[api.Member], params=(SLUG,)),
    Endpoint("POST", "/api/v1/organizations/{slug}/join", "joinOrganization",
             "Ask to join (or accept a pending invitation).", "organizations", None, api.JoinRequest, status=204,
             auth=True, params=(SLUG,)),
    Endpoint("POST", "/api/v1/organizations/{slug}/leave", "leaveOrganization", "Leave the organization.",
             "organizations", None, status=204, auth=True, params=(SLUG,)),
    Endpoint("POST", "/api/v1/organizations/{slug}/invitations", "inviteMember",
             "Invite a member of this node (organization admins).", "organizations", None, api.Invitation,
             status=204, auth=True, params=(SLUG,)),
    Endpoint("GET", "/api/v1/forums", "listForums", "Forums you may read.", "forums", api.Page[api.Forum]),
    Endpoint("GET", "/api/v1/forums/{slug}/threads", "listThreads", "A forum's threads, most recently active first.",
             "forums", api.Page[api.Thread], params=(SLUG, CURSOR)),
    Endpoint("POST", "/api/v1/forums/{slug}/threads", "startThread", "Start a thread with its first post.", "forums",
             api.Thread, api.ThreadIn, status=201, auth=True, params=(SLUG,)),
    Endpoint("GET", "/api/v1/threads/{thread_id}/posts", "listPosts", "A thread's posts, oldest first.", "forums",
             api.Page[api.Post], params=(THREAD, CURSOR)),
    Endpoint("POST", "/api/v1/threads/{thread_id}/posts", "reply", "Reply in a thread.", "forums", api.Post,
             api.PostIn, status=201, auth=True, params=(THREAD,)),
    Endpoint("PATCH", "/api/v1/posts/{post_id}", "editPost", "Change your post (the old text stays in its history).",
             "forums", api.Post, api.PostEdit, auth=True, params=(POST,)),
    Endpoint("DELETE", "/api/v1/posts/{post_id}", "deletePost", "Delete your post (a tombstone remains).", "forums",
             None, status=204, auth=True, params=(POST,)),
    Endpoint("GET", "/api/v1/posts/{post_id}/history", "postHistory", "Earlier texts of an edited post.", "forums",
             api.Page[api.Revision], params=(POST,)),
    Endpoint("POST", "/api/v1/posts/{post_id}/reactions", "toggleReaction", "Add a reaction, or remove it if present.",
             "forums", api.ReactionState, api.ReactionIn, auth=True, params=(POST,)),
    Endpoint("GET", "/api/v1/search", "search", "Search posts (Spanish, accents ignored), newest first.", "forums",
             api.Page[api.SearchHit], params=(Param("q", "query", "Words to look for."), CURSOR)),
    Endpoint("POST", "/api/v1/posts/{post_id}/reports", "reportPost", "Report a post to the moderators.",
             "moderation", api.Created, api.ReportIn, status=201, auth=True, params=(POST,)),
    Endpoint("GET", "/api/v1/moderation/queue", "moderationQueue",
             "Open reports (and, for node moderators, unanswered appeals).", "moderation", api.ModerationQueue,
             auth=True),
    Endpoint("POST", "/api/v1/posts/{post_id}/hide", "hidePost", "Hide a post behind a public reason.",
             "moderation", api.ModerationAction, api.ReasonIn, auth=True, params=(POST,)),
    Endpoint("POST", "/api/v1/posts/{post_id}/unhide", "unhidePost", "Show a hidden post again.", "moderation",
             api.ModerationAction, api.ReasonIn, auth=True, params=(POST,)),
    Endpoint("POST", "/api/v1/posts/{post_id}/dismiss-reports", "dismissReports",
             "Close a post's open reports without hiding it.", "moderation", api.ModerationAction, api.ReasonIn,
             auth=True, params=(POST,)),
    Endpoint("POST", "/api/v1/threads/{thread_id}/lock", "lockThread", "Close or reopen a thread.", "moderation",
             None, api.LockIn, status=204, auth=True, params=(THREAD,)),
    Endpoint("POST", "/api/v1/accounts/{username}/suspension", "suspendAccount",
             "Suspend an account for some days (node moderators).", "moderation", api.ModerationAction,
             api.SuspensionIn, auth=True, params=(USERNAME,)),
    Endpoint("POST", "/api/v1/accounts/{username}/suspension/lift", "liftSuspension", "End a suspension early.",
             "moderation", api.ModerationAction, api.ReasonIn, auth=True, params=(USERNAME,)),
    Endpoint("GET", "/api/v1/moderation/log", "moderationLog", "Every moderation decision, newest first (public).",
             "moderation", api.Page[api.ModerationAction], params=(CURSOR,)),
    Endpoint("POST", "/api/v1/moderation/actions/{action_id}/appeal", "appeal",
             "Appeal a decision about you (once).", "moderation", api.ModerationAction, api.AppealIn, status=201,
             auth=True, params=(ACTION,)),
    Endpoint("POST", "/api/v1/moderation/appeals/{appeal_id}/answer", "answerAppeal",
             "Uphold or reverse a decision (node moderators).", "moderation", api.ModerationAction, api.AnswerIn,
             auth=True, params=(APPEAL,)),
    Endpoint("GET", "/api/v1/budgets", "listBudgetProcesses", "Budget processes, newest first.", "budgets",
             api.Page[api.BudgetProcessSummary], params=(CURSOR,)),
    Endpoint("GET", "/api/v1/budgets/{slug}", "getBudgetProcess",
             "A budget process: its zones, ballot and counting rules, seed and calendar.", "budgets",
             api.BudgetProcess, params=(BUDGET,)),
    Endpoint("GET", "/api/v1/budgets/{slug}/projects", "listBudgetProjects",
             "A process's proposed projects with their public review and implementation follow-up, by zone.",
             "budgets", api.Page[api.BudgetProject], params=(BUDGET,)),
    Endpoint("POST", "/api/v1/budgets/{slug}/ballot", "castBudgetBallot",
             "Cast your ballot in a budget process (verified residents, while voting is open), or change it with "
             "your receipt code (200).", "budgets", api.BallotReceipt, api.BallotIn, status=201, auth=True,
             params=(BUDGET,)),
)  # fmt: skip


def _schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    # OpenAPI component names allow only [A-Za-z0-9._-]: "Page[Organization]" becomes "Page_Organization_".
    name = re.sub(r"[^A-Za-z0-9._-]", "_", str(schema.get("title", model.__name__)))
    components[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def build_document() -> dict[str, Any]:
    components: dict[str, Any] = {}
    problem = _schema_ref(api.Problem, components)
    paths: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        operation: dict[str, Any] = {
            "operationId": endpoint.operation_id,
            "summary": endpoint.summary,
            "tags": [endpoint.tag],
            "responses": {
                "default": {
                    "description": "An RFC 9457 problem.",
                    "content": {"application/problem+json": {"schema": problem}},
                }
            },
        }
        success: dict[str, Any] = {"description": "Success."}
        if endpoint.response is not None:
            success["content"] = {"application/json": {"schema": _schema_ref(endpoint.response, components)}}
        operation["responses"][str(endpoint.status)] = success
        if endpoint.request is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _schema_ref(endpoint.request, components)}},
            }
        if endpoint.params:
            operation["parameters"] = [
                {"name": p.name, "in": p.where, "required": p.where == "path", "description": p.description,
                 "schema": {"type": p.schema_type}}
                for p in endpoint.params
            ]  # fmt: skip
        if endpoint.auth:
            operation["security"] = [{"token": []}, {"session": []}]
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "deliberate API",
            "version": VERSION,
            "description": "Organizations and forums of a deliberate district node. Errors are RFC 9457 problems. "
            "Authenticate with a personal token (`Authorization: Bearer dlb_…`, made on the account page) or with "
            "the session cookie plus the page's CSRF token in `X-CSRF-Token`.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "sid"},
            },
        },
    }


def render_document() -> str:
    return json.dumps(build_document(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


if __name__ == "__main__":
    DOCUMENT_PATH.write_text(render_document())
    print(f"wrote {DOCUMENT_PATH}")
