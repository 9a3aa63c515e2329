"""The data model: one module per aggregate, re-exported here."""

from .appeal import AppealCase
from .application import Application, ApplicationDocument
from .audit import GENESIS_HASH, AuditChainHead, AuditEntry
from .bank import Question, QuestionStatus, QuestionVersion, SyllabusPoint
from .candidate import AdmissionTicket, Candidate
from .centre import Centre
from .compliance import (
    Alert,
    CentreComplianceSettings,
    CentreRecordVersion,
    ComplianceCheck,
    Terminal,
)
from .exam import (
    AnswerChange,
    Attempt,
    AttemptAnswer,
    AttemptArchive,
    AttemptEvent,
    AttemptResult,
    KeyCorrection,
)
from .paper import Blueprint, BlueprintStatus, Paper, PaperQuestion
from .practical import (
    ExaminerConflict,
    ExaminerSheet,
    PracticalResult,
    PracticalSetting,
    SimulatorRun,
    Station,
)
from .reports import ItemStatistics, StoredReport
from .session import ExamSession, session_examiners, session_invigilators, session_terminals
from .transmission import HubBatch, HubCentre, HubSitting, HubSubjectResult, OutboxBatch
from .types import UTCDateTime, utcnow
from .user import CENTRE_STAFF_ROLES, STAFF_ROLES, Role, User

__all__ = [
    "CENTRE_STAFF_ROLES",
    "GENESIS_HASH",
    "STAFF_ROLES",
    "AdmissionTicket",
    "Alert",
    "AnswerChange",
    "AppealCase",
    "Application",
    "ApplicationDocument",
    "Attempt",
    "AttemptAnswer",
    "AttemptArchive",
    "AttemptEvent",
    "AttemptResult",
    "AuditChainHead",
    "AuditEntry",
    "Blueprint",
    "BlueprintStatus",
    "Candidate",
    "Centre",
    "CentreComplianceSettings",
    "CentreRecordVersion",
    "ComplianceCheck",
    "ExamSession",
    "ExaminerConflict",
    "ExaminerSheet",
    "HubBatch",
    "HubCentre",
    "HubSitting",
    "HubSubjectResult",
    "ItemStatistics",
    "KeyCorrection",
    "OutboxBatch",
    "Paper",
    "PaperQuestion",
    "PracticalResult",
    "PracticalSetting",
    "Question",
    "QuestionStatus",
    "QuestionVersion",
    "Role",
    "SimulatorRun",
    "Station",
    "StoredReport",
    "SyllabusPoint",
    "Terminal",
    "UTCDateTime",
    "User",
    "session_examiners",
    "session_invigilators",
    "session_terminals",
    "utcnow",
]
