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
#include <string.h>
#include <stdio.h>
#include <sys/prctl.h>

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

static inline int fl_ok(void) { return OK; }
static inline int fl_key_code_yes(void) { return KEY_CODE_YES; }

/// Reads one key: returns OK (a character in *code), KEY_CODE_YES (a KEY_* code) or ERR
/// (nothing within the window's timeout).
static inline int fl_read_key(int *code) {
    wint_t ch = 0;
    int result = wget_wch(stdscr, &ch);
    *code = (int)ch;
    return result;
}

/// Sets LC_CTYPE from the environment and says whether its codeset is UTF-8.
static inline int fl_locale_is_utf8(void) {
    setlocale(LC_CTYPE, "");
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

/// Whether terminfo knows `term` and it can address the cursor; never prints or exits
/// (unlike initscr). Leaves no terminal set up.
static inline int fl_terminal_usable(const char *term) {
    int error = 0;
    if (setupterm(term, 1, &error) != OK) return 0;
    const char *cup = tigetstr("cup");
    int usable = cup != NULL && cup != (const char *)-1;
    del_curterm(cur_term);
    return usable;
}

/// newterm on stdout/stdin; NULL when the terminal cannot be set up.
static inline SCREEN *fl_newterm(const char *term) { return newterm(term, stdout, stdin); }

/// Names the calling thread (at most 15 bytes show) for top -H and /proc; prctl is variadic.
static inline void fl_name_this_thread(const char *name) { prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0); }

/// Makes the next refresh repaint the whole screen (after a resize or a theme change).
static inline void fl_force_repaint(void) { clearok(curscr, TRUE); }

/// Writes one cell: a wide character with attributes and a colour pair.
static inline int fl_put_cell(int y, int x, wchar_t ch, attr_t attrs, short pair) {
    cchar_t cell;
    wchar_t text[2] = { ch, L'\0' };
    setcchar(&cell, text, attrs, pair, NULL);
    return mvadd_wch(y, x, &cell);
}

#endif
