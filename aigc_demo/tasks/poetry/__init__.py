"""The poetry tab's task: forms, rhyme books, checkers (chinese_check, english_check) and constrained decoders
(chinese_decoding, english_decoding)."""
