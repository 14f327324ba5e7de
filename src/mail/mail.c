/* mail — see mail.h. */
#include "mail/mail.h"

#include "auth/token.h"
#include "core/clock.h"
#include "core/log.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char outbox[1024];

int mail_init(const char *data_dir)
{
	snprintf(outbox, sizeof outbox, "%s/outbox", data_dir);
	if (mkdir(outbox, 0700) != 0 && access(outbox, W_OK) != 0) {
		log_event(GH_LOG_ERROR, "cannot create the mail outbox", "path", outbox, NULL);
		return -1;
	}
	return 0;
}

static int write_message(const char *to, const char *subject, const char *body)
{
	char id[17], tmp[1200], final[1200], date[32];
	token_random_alnum(id, 16);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", outbox, id);
	snprintf(final, sizeof final, "%s/%lld-%s.eml", outbox, (long long)clock_now_ms(), id);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	fprintf(f,
		"To: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		to, subject, clock_format_iso(clock_now_ms(), date), body);
	int bad = fflush(f) != 0 || fsync(fd) != 0;
	fclose(f);
	if (bad || rename(tmp, final) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int mail_send_password_reset(const char *to, const char *name, const char *link, const char *token)
{
	char body[6000];
	snprintf(body, sizeof body,
		 "Hello %s,\r\n\r\nSomeone asked to reset the password of this account. If it was "
		 "you, open:\r\n\r\n%s\r\n\r\nor use this code: %s\r\n\r\nThe link works once and "
		 "expires in one hour. If it was not you, ignore this message.\r\n",
		 name, link, token);
	if (write_message(to, "Reset your password", body) != 0) {
		log_event(GH_LOG_ERROR, "password reset email not written", "outbox", outbox, NULL);
		return -1;
	}
	return 0;
}
