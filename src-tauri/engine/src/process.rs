//! Child processes that cannot outlive the studio, on every OS.
//!
//! This is the one place that knows how each OS ties a child's life to its
//! parent's, so the render code stays free of `cfg`:
//! - Linux: the kernel sends the child SIGKILL when the thread that spawned it
//!   dies (`PR_SET_PDEATHSIG`), set between fork and exec.
//! - Windows: the child is put in a Job Object with kill-on-close; the job's
//!   only handle is ours, so when the studio exits or is killed the OS closes
//!   it and ends the child.
//! - macOS and the other Unixes have neither; a stopped studio closes ffmpeg's
//!   stdin, and the runner's crash recovery deletes what it left behind.
//!
//! Stopping is portable and lives with the caller: `q` on ffmpeg's stdin, then
//! [`std::process::Child::kill`] (SIGKILL or `TerminateProcess`).

use std::process::{Child, Command, ExitStatus};

/// Keeps a child tied to this process's life; drop it after the child has
/// been waited for.
#[derive(Debug)]
pub struct Tether {
    #[cfg(windows)]
    _job: windows::Job,
}

/// A command for a console tool (ffprobe, a thumbnail) that opens no console
/// window when the desktop app starts it on Windows. ffmpeg-sidecar does the
/// same for the renders.
pub fn tool_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    #[allow(unused_mut)]
    let mut cmd = Command::new(program);
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        cmd.creation_flags(CREATE_NO_WINDOW);
    }
    cmd
}

/// Call on the command before spawning it.
pub fn prepare(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    linux::die_with_parent(cmd);
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}

/// Call right after spawning. On Windows, fails if the child cannot be put in
/// a job; the caller should then kill it rather than let it run untethered.
pub fn tether(child: &Child) -> std::io::Result<Tether> {
    #[cfg(windows)]
    {
        Ok(Tether { _job: windows::Job::kill_on_close(child)? })
    }
    #[cfg(not(windows))]
    {
        let _ = child;
        Ok(Tether {})
    }
}

/// How a child ended, in the words the job's error shows: `exit status 1`,
/// `killed by signal 9` (Unix), or `exit status 0xC0000005` for a Windows crash.
pub fn describe_exit(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("killed by signal {sig}");
        }
    }
    match status.code() {
        // NTSTATUS crash codes read better in hex than as negative numbers.
        Some(code) if code < 0 => format!("exit status {:#010X}", code as u32),
        Some(code) => format!("exit status {code}"),
        None => status.to_string(),
    }
}

/// CPU seconds this process and its waited-for children have used, where
/// the OS tells (Linux): unlike wall time, not raised by other programs or a
/// busy virtual machine's neighbours, so benchmarks compare it too.
pub fn cpu_seconds() -> Option<f64> {
    #[cfg(target_os = "linux")]
    {
        Some(linux::cpu_seconds())
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[cfg(target_os = "linux")]
mod linux {
    #[allow(unsafe_code)]
    pub(super) fn cpu_seconds() -> f64 {
        let used = |who| {
            // SAFETY: getrusage(2) only writes the struct it is given.
            let mut u: libc::rusage = unsafe { std::mem::zeroed() };
            if unsafe { libc::getrusage(who, &mut u) } != 0 {
                return 0.0;
            }
            let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
            secs(u.ru_utime) + secs(u.ru_stime)
        };
        used(libc::RUSAGE_SELF) + used(libc::RUSAGE_CHILDREN)
    }

    use std::os::unix::process::CommandExt;
    use std::process::Command;

    #[allow(unsafe_code)]
    pub(super) fn die_with_parent(cmd: &mut Command) {
        // SAFETY: prctl(2) is async-signal-safe and touches no memory of the
        // parent, as required between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
    }
}

#[cfg(windows)]
mod windows {
    use std::os::windows::io::AsRawHandle;
    use std::process::Child;

    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
    use windows_sys::Win32::System::JobObjects::{
        AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation, SetInformationJobObject,
    };

    /// An owned Job Object handle.
    #[derive(Debug)]
    pub(super) struct Job(HANDLE);

    // SAFETY: a kernel handle may be used and closed from any thread.
    #[allow(unsafe_code)]
    unsafe impl Send for Job {}
    #[allow(unsafe_code)]
    unsafe impl Sync for Job {}

    impl Job {
        #[allow(unsafe_code)]
        pub(super) fn kill_on_close(child: &Child) -> std::io::Result<Self> {
            // SAFETY: plain Win32 calls on handles we own or borrow for the
            // call's duration; the struct is zeroed, then the one flag set.
            unsafe {
                let handle = CreateJobObjectW(std::ptr::null(), std::ptr::null());
                if handle.is_null() {
                    return Err(std::io::Error::last_os_error());
                }
                let job = Self(handle);
                let mut info: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = std::mem::zeroed();
                info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
                let ok = SetInformationJobObject(
                    job.0,
                    JobObjectExtendedLimitInformation,
                    (&raw const info).cast(),
                    std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
                );
                if ok == 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if AssignProcessToJobObject(job.0, child.as_raw_handle() as HANDLE) == 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(job)
            }
        }
    }

    impl Drop for Job {
        #[allow(unsafe_code)]
        fn drop(&mut self) {
            // SAFETY: the handle is ours and closed once.
            unsafe {
                CloseHandle(self.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(unix)]
    fn exits_are_described_the_same_way_everywhere() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(super::describe_exit(std::process::ExitStatus::from_raw(1 << 8)), "exit status 1");
        assert_eq!(super::describe_exit(std::process::ExitStatus::from_raw(9)), "killed by signal 9");
    }
}
