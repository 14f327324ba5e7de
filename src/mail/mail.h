/*
 * mail — outgoing account email (password reset now; verification, magic
 * links and OTPs later).
 *
 * Transport today: the outbox, a directory (<data_dir>/outbox) where each
 * message is written as one RFC 5322 file (mode 0600, written to a temporary
 * name and renamed, so a reader never sees half a message). It serves
 * development and tests, and any MTA pickup directory; SMTP delivery is a
 * separate capability still to come.
 *
 * Owns: the outbox path. Threads: mail_init on the main thread; sending from
 * workers.
 */
#ifndef GH_MAIL_MAIL_H
#define GH_MAIL_MAIL_H

int mail_init(const char *data_dir);
int mail_send_password_reset(const char *to, const char *name, const char *link, const char *token);

#endif
