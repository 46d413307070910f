// ncursesw with the wide-character API. COLOR_PAIR, getmaxyx, A_* and WACS_* are macros
// Swift cannot import; each is wrapped here as a function.
#ifndef FREIGHT_CCURSES_SHIM_H
#define FREIGHT_CCURSES_SHIM_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <langinfo.h>
#include <ncurses.h>
#include <term.h>

static inline int fl_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline int fl_lines(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)x; return y; }
static inline int fl_cols(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)y; return x; }
static inline WINDOW *fl_stdscr(void) { return stdscr; }
static inline int fl_colors(void) { return COLORS; }
static inline int fl_color_pairs(void) { return COLOR_PAIRS; }

static inline attr_t fl_a_normal(void) { return A_NORMAL; }
static inline attr_t fl_a_bold(void) { return A_BOLD; }
static inline attr_t fl_a_dim(void) { return A_DIM; }
static inline attr_t fl_a_reverse(void) { return A_REVERSE; }
static inline attr_t fl_a_underline(void) { return A_UNDERLINE; }

static inline int fl_key_resize(void) { return KEY_RESIZE; }
static inline int fl_key_up(void) { return KEY_UP; }
static inline int fl_key_down(void) { return KEY_DOWN; }
static inline int fl_key_left(void) { return KEY_LEFT; }
static inline int fl_key_right(void) { return KEY_RIGHT; }
static inline int fl_key_enter(void) { return KEY_ENTER; }
static inline int fl_key_backspace(void) { return KEY_BACKSPACE; }
static inline int fl_key_npage(void) { return KEY_NPAGE; }
static inline int fl_key_ppage(void) { return KEY_PPAGE; }
static inline int fl_key_home(void) { return KEY_HOME; }
static inline int fl_key_end(void) { return KEY_END; }
static inline int fl_err(void) { return ERR; }

/// Writes one cell: a wide character with attributes and a colour pair.
static inline int fl_put_cell(int y, int x, wchar_t ch, attr_t attrs, short pair) {
    cchar_t cell;
    wchar_t text[2] = { ch, L'\0' };
    setcchar(&cell, text, attrs, pair, NULL);
    return mvadd_wch(y, x, &cell);
}

#endif
