"""Flows as published data: versions with their words, who may change them, councils' own questions.

* ``models`` — FlowVersion (a flow's YAML, translations and pins: one immutable
  unit), FlowDraft, LocalQuestions (a council's own block, by version);
* ``store`` — compiled versions, cached per process;
* ``publish`` — every way the programme publishes (seed, editor, roll back,
  translations), shared by the admin and the CLI;
* ``editing``, ``catalogues`` — the editor's checks and diffs; translation
  status, downloads and upload checks;
* ``lock`` — who may change what; what a council's local questions may hold;
* ``local`` — checking, publishing and playing a council's local questions.

May import: the engine, accounts (who edits a draft), rounds (which versions are in
use), audit, the conversation keyspace (read only), columns, extensions. Never a
channel, the admin, the command line or `workers`.
"""
