# What chatsurvey uses of textstat, which ships no types.

class _TextStatistics:
    def flesch_kincaid_grade(self, text: str) -> float: ...

textstat: _TextStatistics
