"""Typed domain errors: what a use case refuses, with a stable machine code and an English message id.

Services raise these; they never know about HTTP. `web/problems.py` is the one place that maps each family to a
status code, a translated HTML page or an RFC 9457 problem document. `message` is a message id marked with `N_` so
the catalog extractor finds it; `params` fill its `%(name)s` placeholders; `field` names the form field at fault.
`explained_on_form` says whether the refusal is about what was written where it was written (see DomainError).
"""

from __future__ import annotations

from typing import Any, ClassVar


def N_(message: str) -> str:
    """Mark a message for translation without translating it here (the web layer does)."""
    return message


class DomainError(Exception):
    code: ClassVar[str] = "error"
    message: ClassVar[str] = N_("Something went wrong.")
    # True for a refusal of what the person wrote, where they wrote it: the input itself is wrong, or the place no
    # longer takes it (the thread was closed, the forum deleted on its server, the phase is over, only the
    # consultation's audience may answer). The page that sent the form shows it again with the text kept and this
    # message, so nothing typed is lost. False: a refusal of the request itself (not signed in, not allowed to act
    # at all, nothing there), answered by the error page. An error naming a `field` is shown on the form too.
    explained_on_form: ClassVar[bool] = False

    def __init__(self, *, field: str | None = None, message: str | None = None, **params: Any) -> None:
        self.field = field
        self.params = params
        if message is not None:
            self.message = message  # type: ignore[misc]
        super().__init__(f"{self.code}: {self.message % params if params else self.message}")


class InvalidInput(DomainError):
    code = "invalid_input"
    explained_on_form = True
    message = N_("Please check what you entered.")


class Unauthenticated(DomainError):
    code = "unauthenticated"
    message = N_("Please log in to continue.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    message = N_("You do not have permission to do this.")


class NotFound(DomainError):
    code = "not_found"
    message = N_("We could not find what you are looking for.")


class Conflict(DomainError):
    code = "conflict"
    message = N_("This conflicts with something that already exists.")


class Unavailable(DomainError):
    """A service the node depends on (Redis, a peer) does not answer right now; retrying later will work."""

    code = "unavailable"
    message = N_("This part of the site is not available right now. Please try again in a few minutes.")


class RateLimited(DomainError):
    code = "rate_limited"
    message = N_("Too many attempts. Please wait %(minutes)s minutes and try again.")


# Accounts
class UsernameTaken(Conflict):
    code = "username_taken"
    message = N_("That username is already taken. Please choose another one.")


class WrongCredentials(Unauthenticated):
    code = "wrong_credentials"
    message = N_("The username or the password is not correct.")


class WrongPassword(InvalidInput):
    code = "wrong_password"
    message = N_("Your current password is not correct.")


class AccountSuspended(PermissionDenied):
    code = "account_suspended"
    message = N_("This account is suspended.")


class MigrationError(DomainError):
    code = "migration_error"
    message = N_("The database is not at the version this program expects.")


# Organizations
class OrganizationNameTaken(Conflict):
    code = "organization_name_taken"
    message = N_("An organization with that name already exists on this node.")


class AlreadyMember(Conflict):
    code = "already_member"
    message = N_("This person is already a member of the organization.")


class RequestAlreadyPending(Conflict):
    code = "request_already_pending"
    message = N_("There is already a pending request or invitation for this person.")


class NotOrganizationAdmin(PermissionDenied):
    code = "not_organization_admin"
    message = N_("Only the organization's administrators can do this.")


class LastOwner(Conflict):
    code = "last_owner"
    message = N_("The organization needs at least one owner. Name another owner first.")


class NotOperator(PermissionDenied):
    code = "not_operator"
    message = N_("Only the node's operators can do this.")


# Forums
class ThreadLocked(Conflict):
    code = "thread_locked"
    explained_on_form = True
    message = N_("This thread is closed. New replies are not possible.")


class PostDeleted(Conflict):
    code = "post_deleted"
    explained_on_form = True
    message = N_("That post was deleted.")


class ForumDeletedAtOrigin(Conflict):
    """A forum of another server that its server deleted: its mirror here stays readable, but nothing new can be
    written in it, and what is there can be neither edited nor supported (Lemmy refuses new posts and comments, their
    edits and votes in a deleted community too)."""

    code = "forum_deleted_at_origin"
    explained_on_form = True
    message = N_(
        "This forum was deleted on its server. It can still be read, but new threads, replies, edits and support are "
        "not possible."
    )


class NotAuthor(PermissionDenied):
    code = "not_author"
    message = N_("Only the author can change or delete this post.")


class NotForumMember(PermissionDenied):
    code = "not_forum_member"
    message = N_("Only members of the organization can post here.")


class NotModerator(PermissionDenied):
    code = "not_moderator"
    message = N_("Only moderators can do this.")


# Moderation
class ReasonRequired(InvalidInput):
    code = "reason_required"
    message = N_("Please write the reason. Everyone can read it in the public moderation log.")


class AlreadyReported(Conflict):
    code = "already_reported"
    message = N_("You have already reported this post. The moderators will look at it.")


class PostAlreadyHidden(Conflict):
    code = "post_already_hidden"
    message = N_("A moderator has already hidden this post.")


class PostNotHidden(Conflict):
    code = "post_not_hidden"
    message = N_("This post is not hidden.")


class NotSuspended(Conflict):
    code = "not_suspended"
    message = N_("This account is not suspended.")


class NotAffected(PermissionDenied):
    code = "not_affected"
    message = N_("Only the person this decision is about can appeal it.")


class NotAppealable(Conflict):
    code = "not_appealable"
    message = N_("This decision cannot be appealed.")


class AlreadyAppealed(Conflict):
    code = "already_appealed"
    message = N_("This decision has already been appealed. Each decision can be appealed only once.")


class AppealAlreadyAnswered(Conflict):
    code = "appeal_already_answered"
    message = N_("This appeal has already been answered.")


class OwnDecision(PermissionDenied):
    code = "own_decision"
    message = N_("Another moderator must answer an appeal against your own decision.")


# Federation
class InstanceBlocked(PermissionDenied):
    code = "instance_blocked"
    message = N_("This node does not accept activities from your server.")


class SignatureRejected(Unauthenticated):
    code = "signature_rejected"
    message = N_("The request's signature could not be verified: %(reason)s")


class ActivityRejected(InvalidInput):
    code = "activity_rejected"
    message = N_("This activity cannot be accepted: %(reason)s")


class RemoteUnreachable(Unavailable):
    code = "remote_unreachable"
    message = N_("We could not reach that server. Please check the address and try again later.")


class NotARemoteForum(InvalidInput):
    code = "not_a_remote_forum"
    message = N_("That address is not a forum on another node. Write it as name@server.")


class NotARemoteActor(InvalidInput):
    code = "not_a_remote_actor"
    message = N_("That address is not a person or an organization on another server. Write it as name@server.")


class RemoteAddressUnknown(InvalidInput):
    code = "remote_address_unknown"
    message = N_("That server has nobody with that address. Please check how it is written.")


# Members' data
class LastOwnerOfOrganization(Conflict):
    code = "last_owner_of_organization"
    message = N_(
        "You are the only owner of %(organization)s. Make another member an owner on the organization's page, "
        "then delete your account."
    )


class AccountAlreadyDeleted(Conflict):
    code = "account_deleted"
    message = N_("This account has been deleted.")


class AccountGone(NotFound):
    """A deleted member's page: gone for good (HTTP 410), its username kept so that nobody else can take it."""

    code = "account_gone"
    message = N_("This account has been deleted.")


# Budgets: processes, proposals, their review and resident verification
class NotOfficial(PermissionDenied):
    code = "not_official"
    message = N_("Only council officials and the node's operators can do this.")


class OwnVerification(PermissionDenied):
    code = "own_verification"
    message = N_("Another official or operator must verify you as a resident.")


class NotVerifiedResident(Conflict):
    code = "not_verified_resident"
    message = N_("This member is not a verified resident.")


class ProposalsClosed(Conflict):
    code = "proposals_closed"
    explained_on_form = True
    message = N_("Projects can only be proposed while the proposal phase is open.")


class ReviewClosed(Conflict):
    code = "review_closed"
    explained_on_form = True
    message = N_("Projects can only be reviewed before voting opens.")


class FollowUpNotOpen(Conflict):
    code = "follow_up_not_open"
    explained_on_form = True
    message = N_("Implementation follow-up starts when the results are published.")


class CostAboveZoneAmount(InvalidInput):
    code = "cost_above_zone_amount"
    message = N_("The cost cannot be more than the amount of the zone.")


class ReviewReasonRequired(InvalidInput):
    code = "review_reason_required"
    message = N_("Please write the reason for the decision. Everyone can read it.")


class FinalCostRequired(InvalidInput):
    code = "final_cost_required"
    message = N_("Please enter the final cost of a feasible project.")


class CalendarOutOfOrder(InvalidInput):
    code = "calendar_out_of_order"
    message = N_("The phases must follow each other: proposals, review, voting, results, implementation.")


class DatePassed(InvalidInput):
    code = "date_passed"
    message = N_("This date has passed, so it can no longer change.")


class DateInThePast(InvalidInput):
    code = "date_in_the_past"
    message = N_("Please choose a date that has not passed yet.")


class BadZoneLines(InvalidInput):
    code = "bad_zone_lines"
    message = N_('Please write one zone per line, like "Zona A; 150000".')


class RuleSettingMissing(InvalidInput):
    code = "rule_setting_missing"
    message = N_("The chosen rule needs this value.")


class RuleSettingNotUsed(InvalidInput):
    code = "rule_setting_not_used"
    message = N_("The chosen rule does not use this value. Please leave it empty.")


class TotalNotSumOfZones(InvalidInput):
    code = "total_not_sum_of_zones"
    message = N_("With zones, the total is the sum of their amounts. Leave it empty or make them agree.")


# Budgets: voting, receipts, results
class VotingNotOpen(Conflict):
    code = "voting_not_open"
    message = N_("Voting is not open in this budget process.")


class NotVerifiedVoter(PermissionDenied):
    code = "not_verified_voter"
    message = N_(
        "Only verified residents of the district can vote. Please bring your DNI to an ICT centre to be verified."
    )


class AlreadyVoted(Conflict):
    code = "already_voted"
    message = N_("You already voted in this process. To change your vote, use your receipt code.")


class OnlineAfterPaper(Conflict):
    code = "voted_on_paper"
    message = N_("You voted on paper at a polling table, so you cannot also vote online.")


class PaperAfterOnline(Conflict):
    code = "voted_online"
    message = N_("This person already voted online, so a paper ballot cannot be entered for them.")


class InvalidBallot(InvalidInput):
    code = "invalid_ballot"
    message = N_("Please check your ballot.")


class WrongReceiptCode(InvalidInput):
    code = "wrong_receipt_code"
    message = N_("That receipt code does not match your vote. Please check it and try again.")


class VotingStillOpen(Conflict):
    code = "voting_still_open"
    message = N_("Results can be published only after voting closes.")


class ResultsAlreadyPublished(Conflict):
    code = "results_already_published"
    explained_on_form = True
    message = N_("The results of this process are already published.")


class ResultsNotPublished(NotFound):
    code = "results_not_published"
    message = N_("The results of this process are not published yet.")


class InvalidPbFile(InvalidInput):
    code = "invalid_pb_file"
    message = N_("This file cannot be imported. Line %(line)s: %(reason)s")


# Consultations
class OfficialsOnly(NotOfficial):
    """Publishing and answering consultations is the council's own voice: operators may not do it either."""

    code = "officials_only"
    message = N_("Only officials of the council can do this.")


class ConsultationClosed(Conflict):
    code = "consultation_closed"
    explained_on_form = True
    message = N_("This consultation is closed. Answers can no longer be given or changed.")


class ConsultationNotOpen(Conflict):
    code = "consultation_not_open"
    explained_on_form = True
    message = N_("This consultation has not opened yet.")


class ConsultationStillOpen(Conflict):
    code = "consultation_still_open"
    explained_on_form = True
    message = N_("The council can answer only after the consultation closes.")


class ConsultationAlreadyAnswered(Conflict):
    code = "consultation_already_answered"
    explained_on_form = True
    message = N_("The council has already published its answer to this consultation.")


class NoSuchSection(InvalidInput):
    code = "no_such_section"
    message = N_("This consultation has no section with that number.")


class AnswerWrongFormat(InvalidInput):
    code = "answer_wrong_format"
    message = N_("This answer does not fit the question. Please choose one of the options shown.")


class NotInAudience(PermissionDenied):
    code = "not_in_audience"
    explained_on_form = True
    message = N_("Only verified residents of the district can take part in this consultation.")


# Coalitions
class CoalitionNameTaken(Conflict):
    code = "coalition_name_taken"
    message = N_("A coalition with this name already exists. Please choose another name.")


class AlreadyInCoalition(Conflict):
    code = "already_in_coalition"
    message = N_("This organization is already a member of the coalition or has a pending invitation.")


class NotCoalitionMember(PermissionDenied):
    code = "not_coalition_member"
    message = N_("Only member organizations of the coalition can do this.")


class StatementSigned(Conflict):
    code = "statement_signed"
    message = N_("This statement has been signed, so it can no longer change. Please write a new draft.")


class StatementAlreadySigned(Conflict):
    code = "statement_already_signed"
    message = N_("Your organization has already signed this statement.")


class StatementNotPublished(Conflict):
    code = "statement_not_published"
    message = N_("Only a published statement can be put forward as the coalition's position.")


class AlreadyEndorsed(Conflict):
    code = "already_endorsed"
    message = N_("The coalition has already given its position on this.")


class RemovalAlreadyAsked(Conflict):
    code = "removal_already_asked"
    message = N_("Your organization has already agreed to this removal.")


class CoalitionHostedElsewhere(Conflict):
    code = "coalition_hosted_elsewhere"
    message = N_("This coalition is hosted on another node. Please do this there.")
