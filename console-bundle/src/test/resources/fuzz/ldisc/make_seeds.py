#!/usr/bin/env python3
"""Writes the seed corpus of LineDisciplineFuzzTest: one file per case, three lines
("stty WORDS", "column N", the keyboard input in Escapes text form, {text*N} repeated as in
cases.tsv). Every case of the differential table, and nasty ones besides."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, '..', '..', 'org', 'smpcluster', 'console', 'tty', 'cases.tsv')

cases = {}
for line in open(TABLE, encoding='utf-8'):
    line = line.rstrip('\n')
    if not line or line.startswith('#') or line.startswith('name\t'):
        continue
    name, stty, column, text, _ = line.split('\t')
    cases['case-' + name] = (stty, column, text)

nasty = {
    # the issue's: a 6000-byte line through console:write
    'line-6000-bytes': ('', '3', '{x*6000}\\r'),
    'lines-over-pending-limit': ('', '0', '{0123456789abcdef*5000}'),
    'raw-70000-bytes': ('raw -echo', '0', '{\\xff\\x00\\x1b*24000}'),
    'echo-op-bytes': ('echoctl', '0', '\\xff\\xff\\x80\\x81\\x82\\xff^?^?^?\\n'),
    'lnext-at-end': ('', '0', 'abc^V'),
    'lnext-newline-in-line': ('', '0', 'a^V\\nb\\n'),
    'erase-storm': ('', '7', '{^?*5000}ab{^?*10}\\n'),
    'werase-storm': ('', '0', '{a b ^W*2000}\\n'),
    'kill-storm-echoke': ('echoke', '0', '{abc^U*3000}\\n'),
    'reprint-storm': ('', '0', '{x*4000}{^R*50}\\n'),
    'tabs-huge-column': ('', '2000000000', '{\\t*300}{^?*300}\\n'),
    'eof-mid-line-and-empty': ('', '0', 'abc^D^D^Ddef^D'),
    'eof-full-buffer': ('', '0', '{e*4095}^D'),
    'isig-noflsh-mid-line': ('noflsh', '0', 'abc^Cdef^\\ghi^Z\\n'),
    'isig-flush-big-echo': ('', '0', '{y*300}^C{z*300}\\n'),
    'ixon-stopped-flood': ('ixon', '0', '^S{w*9000}^Q\\n'),
    'iutf8-broken-multibyte': ('iutf8', '0', '\\xe2\\x82\\xf0\\x9f\\x98^?^?^?\\xc3^?\\n'),
    'iutf8-erase-continuation-only': ('iutf8', '0', '\\x80\\x80\\x80^?^?\\n'),
    'istrip-high-bytes': ('istrip', '0', '\\x83\\x8a\\x8d\\xff\\n'),
    'igncr-inlcr-icrnl': ('igncr inlcr icrnl', '0', 'a\\rb\\nc\\r\\n'),
    'eol-eol2-nul': ('eol ^@ eol2 ^@', '0', 'a\\x00b\\x00\\n'),
    'all-cc-same': ('intr ^A quit ^A erase ^A kill ^A eof ^A eol ^A', '0', 'ab^Acd^A\\n'),
    'icanon-toggle-content': ('-icanon min 0 time 0', '0', 'partial{q*5000}'),
    'echonl-no-echo': ('-echo echonl', '0', 'secret\\n'),
    'echoprt-long': ('echoprt -echoe', '0', '{p*500}{^?*600}\\n'),
    'onlcr-ocrnl-onlret': ('ocrnl onlret onocr', '5', 'a\\rb\\n\\r\\n'),
    'empty': ('', '0', ''),
}
cases.update(nasty)
for name, (stty, column, text) in cases.items():
    with open(os.path.join(HERE, name + '.txt'), 'w', encoding='utf-8') as f:
        f.write('stty ' + stty + '\ncolumn ' + column + '\n' + text + '\n')
print(len(cases), 'seeds')
