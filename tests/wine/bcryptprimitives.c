/* Wine 8 (Debian 12) lacks bcryptprimitives.dll, whose ProcessPrng is how Rust's
 * standard library gets random bytes on Windows 10 and later. This stand-in,
 * built with mingw-w64 and put in the test prefix's system32 only, answers
 * ProcessPrng from RtlGenRandom (advapi32's SystemFunction036). Windows
 * itself ships the real DLL; nothing of this reaches the installer. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x7fffffff ? 0x7fffffff : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
