"""Word lists the generator combines into Azure DevOps-like titles, comments and tags.

Faker is only used for people's names and a small pool of phrases: it costs tens of
microseconds a call, too slow for 50,000 titles or a million comments, so titles are built by
combining these lists with the seeded RNG.
"""

from __future__ import annotations

PROJECTS: tuple[tuple[str, str], ...] = (
    ("Fabrikam Fiber", "Agile"),
    ("Contoso Web", "Scrum"),
    ("Parts Unlimited", "Basic"),
)

AREAS = (
    "Web",
    "API",
    "Mobile",
    "Data",
    "Infrastructure",
    "Billing",
    "Identity",
    "Search",
    "Reporting",
    "Integrations",
)
SUB_AREAS = ("Frontend", "Backend", "Platform", "Tooling")

COMPONENTS = (
    "checkout service",
    "login page",
    "order history",
    "invoice export",
    "search index",
    "notification service",
    "user profile",
    "shopping cart",
    "payment gateway",
    "admin dashboard",
    "REST API",
    "mobile app",
    "report builder",
    "file upload",
    "audit log",
    "settings page",
    "inventory sync",
    "customer portal",
    "billing engine",
    "SSO integration",
    "data pipeline",
    "email templates",
    "product catalog",
    "release pipeline",
    "time sheet view",
)

TASK_VERBS = (
    "Implement",
    "Write unit tests for",
    "Refactor",
    "Update documentation of",
    "Review",
    "Add logging to",
    "Fix styling of",
    "Add telemetry to",
    "Investigate performance of",
    "Deploy",
    "Design",
    "Migrate",
    "Clean up",
    "Localize",
    "Add integration tests for",
)

BUG_SYMPTOMS = (
    "crashes",
    "shows a blank screen",
    "returns 500",
    "times out",
    "shows wrong totals",
    "loses unsaved changes",
    "renders incorrectly",
    "sends duplicate e-mails",
    "ignores the time zone",
    "rejects valid input",
    "is very slow",
    "logs the user out",
)

BUG_CONDITIONS = (
    "the session expires",
    "the list is empty",
    "the name contains unicode",
    "two users edit at once",
    "the network is offline",
    "on Safari",
    "after a page refresh",
    "the file is larger than 10 MB",
    "using the back button",
    "daylight saving time starts",
    "the cart has 100 items",
    "on a small screen",
)

PERSONAS = (
    "customer",
    "project manager",
    "administrator",
    "team member",
    "support agent",
    "sales rep",
    "accountant",
    "guest user",
)

WANTS = (
    "export my invoices to CSV",
    "reset my password",
    "see my order history",
    "filter the report by date",
    "get notified of changes",
    "pay with a saved card",
    "invite team members",
    "archive old projects",
    "search across all documents",
    "approve time sheets in bulk",
    "sign in with my company account",
    "download a monthly summary",
    "track time against a task",
    "compare two releases",
)

EPIC_THEMES = (
    "modernization",
    "self-service",
    "performance",
    "compliance",
    "onboarding",
    "analytics",
    "reliability",
    "internationalization",
    "mobile experience",
    "cost reduction",
)

COMMENTS = (
    "Daily stand-up",
    "Sprint planning",
    "Code review",
    "Pair programming session",
    "Fixed failing tests",
    "Customer call",
    "Investigated the issue",
    "Deployment to staging",
    "Backlog refinement",
    "Retrospective",
    "Wrote documentation",
    "Reviewed pull request",
    "Debugging",
    "Meeting with the product owner",
    "Release preparation",
    "Support ticket",
    "Performance tuning",
    "Design discussion",
    "Onboarding a new colleague",
    "Updated the build pipeline",
)

TAGS = (
    "frontend",
    "backend",
    "customer-request",
    "tech-debt",
    "security",
    "performance",
    "ux",
    "blocked",
    "needs-review",
    "quick-win",
    "regression",
    "Q1",
    "Q2",
    "Q3",
    "Q4",
)

COST_CENTERS = ("CC-1000", "CC-1010", "CC-2040", "CC-3100", "CC-4200", "CC-5150")

BUDGET_THEMES = (
    "Development",
    "Maintenance",
    "Support",
    "Customer onboarding",
    "Research",
    "Security hardening",
    "Migration",
    "Consulting",
)

# Azure DevOps "Activity" field values of tasks (not the Timetracker activity types).
VSTS_ACTIVITIES = (
    "Development",
    "Testing",
    "Design",
    "Documentation",
    "Deployment",
    "Requirements",
)
