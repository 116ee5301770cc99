# What chatsurvey uses of textstat, which ships no types.

class _TextStatistics:
    def flesch_kincaid_grade(self, text: str) -> float: ...
    def is_difficult_word(self, word: str, syllable_threshold: int = ...) -> bool: ...

textstat: _TextStatistics
