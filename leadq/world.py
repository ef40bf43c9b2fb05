"""An in-memory store of every lead and account: what ``leadq replay`` runs on.

It resolves identities, merges stitched leads, keeps accounts' memberships (account
intent is always the sum of its members' intent), and keeps a schedule of decay-driven
due times (a heap, like the stream's sorted set of due times) so that ``advance(t)``
fires exactly the transitions a timer would have fired by ``t``.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from leadq.compiled import CompiledRules
from leadq.engine import Outcome, apply_in_place, fire_account, fire_lead
from leadq.identity import (
    account_key,
    identity_keys,
    new_account_domain,
    previous_keys,
    resolve,
)
from leadq.membership import join_account, leave_account
from leadq.merge import merge_leads
from leadq.profile import build_profile
from leadq.stages import account_due, lead_due
from leadq.state import AccountState, LeadState
from schemas.signal import Signal
from schemas.transition import TransitionData


@dataclass
class World:
    rules: CompiledRules
    leads: dict[str, LeadState] = field(default_factory=dict)
    accounts: dict[str, AccountState] = field(default_factory=dict)
    index: dict[str, str] = field(default_factory=dict)
    #: (due ms, "lead"|"account", id); stale entries are skipped when popped.
    _due: list[tuple[int, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def process(self, signal: Signal) -> list[TransitionData]:
        """Apply one signal; returns the transitions it caused (after any due ones)."""
        transitions = self.advance(signal.occurred_ms)
        lead_id, absorbed = resolve(self.index, signal)
        lead = self.leads.get(lead_id) if lead_id else None
        account = self._account_for(signal, lead, absorbed)
        if lead_id is not None:
            lead = self._place(lead or LeadState(lead_id=lead_id), account)
            for other_id in absorbed:
                lead = self._absorb(lead, other_id, account)
        outcome = apply_in_place(lead, account, signal, self.rules, lead_id=lead_id)
        self._store(signal, lead_id, outcome)
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        return transitions + list(outcome.transitions)

    def advance(self, until_ms: int) -> list[TransitionData]:
        """Fire every decay-driven transition due at or before ``until_ms``, in time order."""
        fired: list[TransitionData] = []
        while self._due and self._due[0][0] <= until_ms:
            due_ms, entity, entity_id = heapq.heappop(self._due)
            if entity == "lead" and entity_id in self.leads:
                lead = self.leads[entity_id]
                account = self.accounts.get(lead.account_id) if lead.account_id else None
                fired += fire_lead(lead, account, due_ms, self.rules)
                self._schedule_lead(lead, account)
            elif entity == "account" and entity_id in self.accounts:
                account = self.accounts[entity_id]
                fired += fire_account(account, due_ms, self.rules)
                self._schedule_account(account)
        return fired

    def _account_for(
        self, signal: Signal, lead: LeadState | None, absorbed: list[str]
    ) -> AccountState | None:
        current = lead.account_id if lead else None
        for other in absorbed:  # a survivor without an account takes an absorbed lead's
            current = current or self.leads[other].account_id
        key = account_key(signal, current, self.rules.free_mail)
        if key is None:
            return None
        if key not in self.accounts:
            self.accounts[key] = AccountState(key, domain=new_account_domain(signal, key))
        return self.accounts[key]

    def _place(self, lead: LeadState, account: AccountState | None) -> LeadState:
        """Move the lead into ``account`` (leaving its old one) before the signal applies."""
        if account is None or lead.account_id == account.account_id:
            if account is not None:
                join_account(lead, account, self.rules)
            return lead
        if lead.account_id in self.accounts:
            self._leave(lead, self.accounts[lead.account_id])
        join_account(lead, account, self.rules)
        return lead

    def _leave(self, lead: LeadState, account: AccountState) -> None:
        """Take the lead out of ``account``; its score (and so its due time) changes."""
        leave_account(lead, account)
        self._schedule_account(account)

    def _absorb(
        self, survivor: LeadState, other_id: str, account: AccountState | None
    ) -> LeadState:
        other = self.leads.pop(other_id)
        if other.account_id in self.accounts:
            self._leave(other, self.accounts[other.account_id])
        for key, target in list(self.index.items()):
            if target == other_id:
                self.index[key] = survivor.lead_id
        return merge_leads(survivor, other, account, self.rules)

    def _store(self, signal: Signal, lead_id: str | None, outcome: Outcome) -> None:
        if outcome.account is not None:
            self.accounts[outcome.account.account_id] = outcome.account
            self._schedule_account(outcome.account)
        if lead_id is None or outcome.lead is None:
            return
        self.leads[lead_id] = outcome.lead
        for key in identity_keys(signal) + [k for k in previous_keys(signal) if k in self.index]:
            self.index[key] = lead_id
        self._schedule_lead(outcome.lead, outcome.account)

    def _schedule_lead(self, lead: LeadState, account: AccountState | None) -> None:
        profile = lead.profile or build_profile(lead, account, self.rules)
        due = lead_due(lead, profile, self.rules)
        if due is not None:
            heapq.heappush(self._due, (due, "lead", lead.lead_id))

    def _schedule_account(self, account: AccountState) -> None:
        due = account_due(account, self.rules)
        if due is not None:
            heapq.heappush(self._due, (due, "account", account.account_id))
